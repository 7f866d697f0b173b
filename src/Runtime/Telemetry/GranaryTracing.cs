using System.Diagnostics;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Telemetry;

/// <summary>
/// Granary's spans: one on the owner from a task's submission until its result is known, and one on the
/// node around its run, the child of the first through <see cref="TaskSpec.Traceparent"/>. Everything
/// here is skipped unless a listener samples Granary's source, so the task path pays one check when
/// tracing is off. Thread-safe.
/// </summary>
internal static class GranaryTracing
{
    public const string TaskSpanName = "granary.task";

    public const string RunSpanName = "granary.run";

    public const string TaskIdTag = "granary.task.id";

    public const string TaskNameTag = "granary.task.name";

    public const string NodeTag = "granary.node";

    public static readonly ActivitySource Source = new(GranaryTelemetry.ActivitySourceName);

    /// <summary>
    /// Starts the owner's span of a task and writes its traceparent into the spec. The caller's current
    /// activity is its parent and stays current: the span ends on another thread, and later submissions
    /// from this one must not nest under it.
    /// </summary>
    public static Activity? StartTask(TaskSpec spec)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var ambient = Activity.Current;
        var span = Source.StartActivity(TaskSpanName, ActivityKind.Client);
        Activity.Current = ambient;
        if (span is null)
        {
            return null;
        }

        span.SetTag(TaskIdTag, spec.TaskId);
        span.SetTag(TaskNameTag, TaskName(spec));
        spec.Traceparent = span.Id ?? string.Empty;
        return span;
    }

    /// <summary>Starts the node's span of a run, under the owner's span when the spec names one; current until it is disposed.</summary>
    public static Activity? StartRun(TaskSpec spec, string nodeId)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(spec.Traceparent, traceState: null, isRemote: true, out var parent);
        var span = Source.StartActivity(RunSpanName, ActivityKind.Server, parent);
        span?.SetTag(TaskIdTag, spec.TaskId);
        span?.SetTag(TaskNameTag, TaskName(spec));
        span?.SetTag(NodeTag, nodeId);
        return span;
    }

    /// <summary>Ends a span with the outcome; the thread's current activity is left as it was.</summary>
    public static void End(Activity span, ErrorInfo? error)
    {
        if (error is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, error.Message);
            span.SetTag("error.type", error.Type.Length > 0 ? error.Type : error.Kind.ToString());
        }

        var ambient = Activity.Current;
        span.Stop();
        if (!ReferenceEquals(ambient, span))
        {
            // Stop makes the span's parent current on whatever thread ends it, which is rarely the one it began on.
            Activity.Current = ambient;
        }
    }

    private static string TaskName(TaskSpec spec) => string.IsNullOrEmpty(spec.Name) ? spec.Method.DisplayName : spec.Name;
}
