using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Client.Submission;

/// <summary>A task the client owns, from submission until its result entry completes. Touched by one thread at a time.</summary>
internal sealed class PendingTask(TaskSpec spec, ObjectEntry result, string schedulingKey, ResourceRequest request, int retriesLeft, bool retryExceptions)
{
    public TaskSpec Spec { get; set; } = spec;

    public ObjectEntry Result { get; } = result;

    public string SchedulingKey { get; } = schedulingKey;

    public ResourceRequest Request { get; } = request;

    public int RetriesLeft { get; set; } = retriesLeft;

    public bool RetryExceptions { get; } = retryExceptions;

    /// <summary>For a streaming task: where it was last pushed, which its stream's reader follows.</summary>
    public StreamLocation? Stream { get; init; }

    /// <summary>The ObjectRef arguments' entries, kept reachable while the task may still read them.</summary>
    public List<Runtime.Objects.ObjectEntry>? Borrowed { get; set; }
}
