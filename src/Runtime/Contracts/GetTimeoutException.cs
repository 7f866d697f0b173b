namespace Granary;

/// <summary>
/// A get with a timeout (Ray's <c>ray.get(ref, timeout=...)</c>) ran out of time before the value was there.
/// Nothing is lost: the task goes on, and a later get can still return its value.
/// </summary>
public sealed class GetTimeoutException : GranaryException
{
    public GetTimeoutException(string objectId, TimeSpan timeout)
        : base($"Object {objectId} was not ready within {timeout.TotalSeconds:0.###} s; its task goes on, so get it again later, or with a longer timeout.") =>
        (ObjectId, Timeout) = (objectId, timeout);

    public string ObjectId { get; }

    public TimeSpan Timeout { get; }
}
