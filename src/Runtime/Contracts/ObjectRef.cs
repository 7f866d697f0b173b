using System.Runtime.CompilerServices;
using Granary.Runtime.Objects;

namespace Granary;

/// <summary>
/// A reference to a value that a task, an actor call or <c>Put</c> produces, possibly on another node.
/// Await it (or pass it to <c>GetAsync</c>) to fetch the value; pass it where a method expects the
/// value itself and the node that runs the method resolves it, so the value never passes through the client.
/// Refs may also be held inside values (a list of refs, a record with a ref field) that are put, passed or
/// returned; they are written with their id and state and read back as usable refs on any node.
/// Thread-safe: a ref may be awaited any number of times from any thread.
/// </summary>
public abstract class ObjectRef
{
    private protected ObjectRef(ObjectEntry entry) => Entry = entry;

    internal ObjectEntry Entry { get; }

    /// <summary>The object's id, unique in the cluster.</summary>
    public string Id => Entry.Id;

    /// <summary>True once the value, or the failure that replaced it, is known to the owner.</summary>
    public bool IsReady => Entry.IsCompleted;

    /// <summary>Waits until the value is ready; throws the remote failure when the task failed.</summary>
    public Task WaitAsync(CancellationToken cancellationToken = default) => Entry.WaitAsync(cancellationToken);

    public TaskAwaiter GetAwaiter() => WaitAsync().GetAwaiter();

    /// <summary>The value boxed, deserialized as the type the ref was created with.</summary>
    public abstract ValueTask<object?> GetBoxedAsync(CancellationToken cancellationToken = default);

    /// <summary>Refs are equal when they name the same object, as Ray's are: a ref read back out of a value equals the original.</summary>
    public override bool Equals(object? obj) => obj is ObjectRef other && string.Equals(Id, other.Id, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Id);

    /// <summary>
    /// Same as <see cref="Equals(object?)"/>. Without it, <c>==</c> on two refs would compare instances, so a
    /// ref read back out of a value would not equal the original it names. Declared on the base so it also
    /// covers <see cref="ObjectRef{T}"/> and mixed typed and untyped operands.
    /// </summary>
    public static bool operator ==(ObjectRef? left, ObjectRef? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(ObjectRef? left, ObjectRef? right) => !(left == right);

    public override string ToString() => $"ObjectRef({Id})";
}
