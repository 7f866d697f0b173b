using Granary.Client;

namespace Granary;

/// <summary>What this job's tasks and actors write, back on the client (ClientOptions.LogToDriver).</summary>
public sealed partial class GranaryClient
{
    // Null in an in-cluster client: the driver's client is the one that hears the job's lines.
    private readonly DriverLogs? _logs;

    /// <summary>
    /// Raised for each line this job's tasks and actors write to Console or <c>TaskContext.Logger</c>, on
    /// any node, with <see cref="ClientOptions.LogToDriver"/> on (the default); also raised for a node's
    /// notice that it dropped lines. Lines arrive in batches, about every 100 ms, on Orleans' threads: keep
    /// handlers short. A handler that throws is logged. The client prints the lines itself too.
    /// </summary>
    public event EventHandler<TaskLogEventArgs>? TaskLog
    {
        add
        {
            if (_logs is not null)
            {
                _logs.Line += value;
            }
        }

        remove
        {
            if (_logs is not null)
            {
                _logs.Line -= value;
            }
        }
    }
}
