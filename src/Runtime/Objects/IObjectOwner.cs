using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// A process's access to objects for one job: it decodes values, fetches those stored elsewhere, frees the
/// ones it owns, and keeps the registry that maps a ref read out of a value back to its live entry.
/// </summary>
internal interface IObjectOwner
{
    /// <summary>The identity written into nested refs this process owns (a client's job id, job@node on a silo).</summary>
    string OwnerId { get; }

    ValueSerializer Serializer { get; }

    /// <summary>The live entries of this process by object id, so a ref read back resolves to the same entry.</summary>
    ObjectRegistry Registry { get; }

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
