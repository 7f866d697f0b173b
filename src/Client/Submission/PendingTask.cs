using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Client.Submission;

/// <summary>A task the client owns, from submission until its result entry completes. Touched by one thread at a time.</summary>
internal sealed class PendingTask(TaskSpec spec, ObjectEntry result, string schedulingKey, ResourceRequest request, int retriesLeft, bool retryExceptions)
{
    public TaskSpec Spec { get; set; } = spec;

    public ObjectEntry Result { get; } = result;

    /// <summary>The queue it waits in; changes once, when a task packed by GPU memory ran out of it and is retried alone.</summary>
    public string SchedulingKey { get; set; } = schedulingKey;

    public ResourceRequest Request { get; set; } = request;

    /// <summary>It ran out of GPU memory on a shared device and was sent to run alone (once).</summary>
    public bool RetriedAlone { get; set; }

    public int RetriesLeft { get; set; } = retriesLeft;

    public bool RetryExceptions { get; } = retryExceptions;

    /// <summary>For a streaming task: where it was last pushed, which its stream's reader follows.</summary>
    public StreamLocation? Stream { get; init; }

    /// <summary>Cancelled by its owner: it is never pushed or retried again. Guarded by the submitter's lock.</summary>
    public bool Cancelled { get; set; }

    /// <summary>The lease it was pushed on and has not answered yet; null while it waits on the client. Guarded by the submitter's lock.</summary>
    public LeaseSlot? PushedOn { get; set; }

    private System.Diagnostics.Activity? _span;

    /// <summary>The owner's span from submission to completion, when tracing is on; ended once, with the result.</summary>
    public System.Diagnostics.Activity? Span
    {
        get => Volatile.Read(ref _span);
        set => Volatile.Write(ref _span, value);
    }

    /// <summary>The span for the one caller that ends it; null for every other (the result may be completed by several paths, once).</summary>
    public System.Diagnostics.Activity? TakeSpan() => Volatile.Read(ref _span) is null ? null : Interlocked.Exchange(ref _span, null);

    /// <summary>The ObjectRef arguments' entries, kept reachable while the task may still read them.</summary>
    public List<Runtime.Objects.ObjectEntry>? Borrowed { get; set; }
}
