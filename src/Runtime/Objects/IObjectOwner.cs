using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>The process that owns a set of objects: it knows how to decode them and how to fetch those stored elsewhere.</summary>
internal interface IObjectOwner
{
    ValueSerializer Serializer { get; }

    /// <summary>Pulls a value that lives in a silo's object store.</summary>
    ValueTask<Value> FetchAsync(ObjectLocation location, CancellationToken cancellationToken);

    /// <summary>
    /// Nothing refers to the object any more: free it where it is stored. Called from a finalizer, so it
    /// must only queue the work.
    /// </summary>
    void Release(ObjectLocation location);
}
