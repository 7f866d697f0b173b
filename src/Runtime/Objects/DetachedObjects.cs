using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// The owner of refs read by a serializer that belongs to no client or task (tests, tools): such refs keep
/// what was written inside them (an inline value, a failure) but cannot fetch a stored value. Thread-safe.
/// </summary>
internal sealed class DetachedObjects : IObjectOwner
{
    public static readonly DetachedObjects Instance = new();

    private DetachedObjects()
    {
        Registry = new ObjectRegistry(this);
    }

    public string OwnerId => "detached";

    public ValueSerializer Serializer { get; } = new();

    public ObjectRegistry Registry { get; }

    public ValueTask<Value> FetchAsync(ObjectLocation location, CancellationToken cancellationToken) =>
        ValueTask.FromException<Value>(new ObjectLostException(location.ObjectId,
            $"Object {location.ObjectId} is stored on node {location.NodeId}, but this ref was read outside a Granary client or task, so it cannot fetch it."));

    public ValueTask<object?> FetchObjectAsync(ObjectLocation location, Type type, CancellationToken cancellationToken) =>
        ValueTask.FromException<object?>(new ObjectLostException(location.ObjectId,
            $"Object {location.ObjectId} is stored on node {location.NodeId}, but this ref was read outside a Granary client or task, so it cannot fetch it."));

    public void Release(ObjectLocation location)
    {
        // Detached refs are always borrowed: nothing here frees anything.
    }
}
