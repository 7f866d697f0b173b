using Granary.Runtime.Wire;

namespace Granary.Client.Submission;

/// <summary>One lease the client holds: a resource shape reserved on one node, and the tasks in flight on it.</summary>
internal sealed class LeaseSlot(LeaseGrant grant, NodeChannel node)
{
    public LeaseGrant Grant { get; } = grant;

    public NodeChannel Node { get; } = node;

    /// <summary>Tasks pushed on this lease so far; the release names the count, so the node waits for all of them.</summary>
    public int Pushed { get; set; }

    /// <summary>Gives the lease back: the node finishes what it has, then returns it to the head.</summary>
    public void Release() => _ = Node.Grain.ReleaseLease(Grant.LeaseId, Pushed);

    public int InFlight { get; set; }

    public long IdleSince { get; set; } = Environment.TickCount64;

    public bool Dead { get; set; }
}
