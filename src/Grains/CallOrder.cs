using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>
/// Puts each caller's actor calls back in the order they were made: Orleans may deliver two calls from
/// one handle out of order, and Granary promises per-handle order. A call that arrives early waits here
/// until the ones before it have been admitted. Calls without a number are admitted as they come.
/// Thread-safe.
/// </summary>
internal sealed class CallOrder
{
    private readonly Dictionary<string, Caller> _callers = new(StringComparer.Ordinal);

    /// <summary>Admits <paramref name="call"/> and any calls it was holding back, in order, through <paramref name="admit"/>.</summary>
    public void Arrive<TState>(ActorCall call, TState state, Action<ActorCall, TState> admit)
    {
        if (call.Sequence == 0 || call.CallerId.Length == 0)
        {
            admit(call, state);
            return;
        }

        List<(ActorCall, TState)>? ready = null;
        lock (_callers)
        {
            if (!_callers.TryGetValue(call.CallerId, out var caller))
            {
                _callers[call.CallerId] = caller = new Caller();
            }

            if (call.Sequence != caller.Next)
            {
                caller.Early[call.Sequence] = (call, state!);
                return;
            }

            ready = [(call, state)];
            caller.Next++;
            while (caller.Early.Remove(caller.Next, out var early))
            {
                ready.Add(((ActorCall)early.Call, (TState)early.State));
                caller.Next++;
            }
        }

        foreach (var (next, nextState) in ready)
        {
            admit(next, nextState);
        }
    }

    private sealed class Caller
    {
        public long Next { get; set; } = 1;

        public Dictionary<long, (object Call, object State)> Early { get; } = [];
    }
}
