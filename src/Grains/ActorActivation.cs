using System.Threading.Channels;
using Granary.Runtime.Code;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>
/// One live actor: the user's instance behind its <see cref="ActorGrain"/>. Calls queue in a mailbox and
/// run in arrival order, one at a time unless the actor allows more: then async methods interleave at
/// their awaits and synchronous ones run at once on threads of their own, up to MaxConcurrency together.
/// Lifecycle: Alive → (Deactivate: killed, owner gone, silo stopping) → Dead; calls after death fail with ActorDied.
/// Thread-safe.
/// </summary>
internal sealed class ActorActivation
{
    private readonly Channel<(TaskSpec Spec, TaskCompletionSource<TaskReply> Reply)> _mailbox =
        Channel.CreateUnbounded<(TaskSpec, TaskCompletionSource<TaskReply>)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly SiloRuntime _silo;
    private readonly CallOrder _order = new();
    private readonly SemaphoreSlim? _slots;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _deathReason;

    public ActorActivation(ActorSpec spec, JobCode code, object instance, IReadOnlyList<int> gpuIds, SiloRuntime silo)
    {
        GpuIds = [.. gpuIds];
        Spec = spec;
        Code = code;
        Instance = instance;
        _silo = silo;
        _slots = spec.MaxConcurrency > 1 ? new SemaphoreSlim(spec.MaxConcurrency) : null;
        _ = RunAsync();
    }

    public ActorSpec Spec { get; }

    public int[] GpuIds { get; }

    public JobCode Code { get; }

    public object Instance { get; }

    /// <summary>Killed or deactivated: no call will run any more, though its instance may not be disposed yet.</summary>
    public bool IsDying => Volatile.Read(ref _deathReason) is not null;

    /// <summary>Completes once the actor is dead and its instance disposed.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Queues a call in its caller's order (see <see cref="CallOrder"/>); the task completes with its reply.</summary>
    public Task<TaskReply> Enqueue(ActorCall call)
    {
        // Completed on the thread that ran the call: Orleans only queues the reply from there.
        var reply = new TaskCompletionSource<TaskReply>();
        _order.Arrive(call, (Self: this, Reply: reply), static (admitted, state) => state.Self.Admit(admitted.Spec, state.Reply));
        return reply.Task;
    }

    private void Admit(TaskSpec spec, TaskCompletionSource<TaskReply> reply)
    {
        if (!_mailbox.Writer.TryWrite((spec, reply)))
        {
            reply.SetResult(Died(spec));
        }
    }

    public void Deactivate(string reason)
    {
        _deathReason ??= reason;
        _mailbox.Writer.TryComplete();
    }

    private async Task RunAsync()
    {
        var reader = _mailbox.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var call))
            {
                if (_deathReason is not null)
                {
                    call.Reply.TrySetResult(Died(call.Spec));
                    continue;
                }

                if (_slots is null)
                {
                    await RunCallAsync(call.Spec, call.Reply).ConfigureAwait(false);
                }
                else
                {
                    await _slots.WaitAsync().ConfigureAwait(false);
                    if (IsSynchronous(call.Spec))
                    {
                        // Ray's threaded actors: a blocking method holds a thread of its own, so up to
                        // MaxConcurrency of them run at once (inline, the first would hold the mailbox). A
                        // dedicated thread, not the pool's, which adds threads only slowly under blocking.
                        var (spec, reply) = (call.Spec, call.Reply);
                        _ = Task.Factory.StartNew(
                            () => RunAndFreeSlotAsync(spec, reply),
                            CancellationToken.None,
                            TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach,
                            TaskScheduler.Default);
                    }
                    else
                    {
                        _ = RunAndFreeSlotAsync(call.Spec, call.Reply);
                    }
                }
            }
        }

        // Interleaved calls may still be running: take every slot back before the instance is disposed.
        for (var i = 0; _slots is not null && i < Spec.MaxConcurrency; i++)
        {
            await _slots.WaitAsync().ConfigureAwait(false);
        }

        await DisposeInstanceAsync().ConfigureAwait(false);
        _silo.ActorFinished(this);
        _finished.TrySetResult();
    }

    /// <summary>Whether the call's method blocks its thread; one that cannot be resolved fails in <see cref="RunCallAsync"/> either way.</summary>
    private bool IsSynchronous(TaskSpec spec)
    {
        try
        {
            return Code.Resolve(spec.Method).Result.Synchronous;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }

    private async Task RunAndFreeSlotAsync(TaskSpec spec, TaskCompletionSource<TaskReply> reply)
    {
        try
        {
            await RunCallAsync(spec, reply).ConfigureAwait(false);
        }
        finally
        {
            _slots!.Release();
        }
    }

    private async Task RunCallAsync(TaskSpec spec, TaskCompletionSource<TaskReply> reply)
    {
        TaskReply result;
        try
        {
            var method = Code.Resolve(spec.Method);
            result = await _silo.Executor.InvokeAsync(spec, Code, method, Instance, Spec.ActorId, GpuIds, _silo.Stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            result = _silo.Executor.Failed(ex, spec);
        }

        reply.TrySetResult(result);
    }

    /// <summary>The reply to a call that reached no live activation; callers see <see cref="ActorDiedException"/>.</summary>
    public static TaskReply DiedReply(string nodeId, string message) => new()
    {
        NodeId = nodeId,
        Error = new ErrorInfo { Kind = ErrorKind.ActorDied, Type = typeof(ActorDiedException).FullName, Message = message, NodeId = nodeId },
    };

    private TaskReply Died(TaskSpec spec) =>
        DiedReply(_silo.NodeId, $"Actor {Spec.ActorId} ({Spec.TypeName}) is dead: {_deathReason ?? "deactivated"}; {spec.Method.DisplayName} did not run.");

    private async Task DisposeInstanceAsync()
    {
        try
        {
            switch (Instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        catch (Exception ex)
        {
            _silo.LogActorDisposeFailed(Spec.ActorId, ex);
        }
    }
}
