using System.Diagnostics.Metrics;

namespace Granary.Runtime.Telemetry;

/// <summary>
/// Granary's meter and the counters the task path increments. A counter nobody listens to costs one
/// check, so the hot path pays nothing more when metrics are off. The gauges over each node's state are
/// observable instruments registered by the silo (<c>SiloInstruments</c>). Thread-safe.
/// </summary>
internal static class GranaryMeter
{
    public const string NodeTag = "node";

    public static readonly Meter Meter = new(GranaryTelemetry.MeterName);

    /// <summary>Tasks a client submitted (each retry of a task is not counted again).</summary>
    public static readonly Counter<long> TasksSubmitted = Meter.CreateCounter<long>("granary.tasks.submitted", "{task}", "Tasks submitted by this process's clients");

    /// <summary>Tasks a node ran to a reply without an error.</summary>
    public static readonly Counter<long> TasksFinished = Meter.CreateCounter<long>("granary.tasks.finished", "{task}", "Tasks that ran to a result on the node");

    /// <summary>Tasks a node answered with an error (the user's exception, a cancel, a crash of its worker...).</summary>
    public static readonly Counter<long> TasksFailed = Meter.CreateCounter<long>("granary.tasks.failed", "{task}", "Tasks that ended with an error on the node");
}
