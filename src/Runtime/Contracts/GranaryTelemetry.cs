namespace Granary;

/// <summary>
/// The names under which Granary publishes its OpenTelemetry data, for a host that collects it itself:
/// <c>AddMeter(GranaryTelemetry.MeterName)</c> on a MeterProviderBuilder and
/// <c>AddSource(GranaryTelemetry.ActivitySourceName)</c> on a TracerProviderBuilder. `granary start`
/// collects both on its own (<c>--metrics-port</c>, <c>--otlp-endpoint</c>).
/// </summary>
public static class GranaryTelemetry
{
    /// <summary>
    /// The <see cref="System.Diagnostics.Metrics.Meter"/> of Granary's instruments: tasks submitted (on the
    /// client), running, queued, finished and failed (on the node that ran them), leases, object-store bytes,
    /// objects and spills, host and process CPU and memory, and GPU utilisation and memory per device. Each
    /// node's instruments carry a <c>node</c> tag, GPU ones a <c>device</c> tag too.
    /// </summary>
    public const string MeterName = "Granary";

    /// <summary>
    /// The <see cref="System.Diagnostics.ActivitySource"/> of Granary's spans: <c>granary.task</c> on the
    /// client from a task's submission until its result is known, and <c>granary.run</c>, its child, on the
    /// node that runs it. The parent travels with the task, so both share one trace across processes.
    /// </summary>
    public const string ActivitySourceName = "Granary";

    /// <summary>Orleans' own meter, which `granary start` exports beside Granary's.</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";
}
