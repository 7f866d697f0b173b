using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>The process that owns a set of objects: it knows how to decode them and how to fetch those stored elsewhere.</summary>
internal interface IObjectOwner
{
    ValueSerializer Serializer { get; }

    /// <summary>Pulls a value that lives in a silo's object store, in wire form (at most 2 GiB).</summary>
    ValueTask<Value> FetchAsync(ObjectLocation location, CancellationToken cancellationToken);

    /// <summary>
    /// Pulls a value that lives in a silo's object store and decodes it as <paramref name="type"/> while it
    /// arrives: a raw array lands in the final array with one copy, and may be larger than 2 GiB.
    /// </summary>
    ValueTask<object?> FetchObjectAsync(ObjectLocation location, Type type, CancellationToken cancellationToken);

    /// <summary>
    /// Nothing refers to the object any more: free it where it is stored. Called from a finalizer, so it
    /// must only queue the work.
    /// </summary>
    void Release(ObjectLocation location);
}
