using Granary.Runtime.Transport;
using Granary.Runtime.Wire;

namespace Granary.Client.Submission;

/// <summary>One lease the client holds: a resource shape reserved on one node, and the tasks in flight on it.</summary>
internal sealed class LeaseSlot(LeaseGrant grant, Connection connection)
{
    public LeaseGrant Grant { get; } = grant;

    public Connection Connection { get; } = connection;

    public int InFlight { get; set; }

    public long IdleSince { get; set; } = Environment.TickCount64;

    public bool Dead { get; set; }
}
