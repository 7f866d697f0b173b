using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Serialization;

/// <summary>
/// An actor handle as a value (Granary.Client's ActorHandle&lt;T&gt;, which the runtime cannot name): it is
/// written as the actor's <see cref="ActorInfo"/> and read back bound to a client of the reading process
/// (see <see cref="ActorHandleFormatter{THandle}"/>).
/// </summary>
internal interface IActorHandleValue<TSelf>
    where TSelf : class, IActorHandleValue<TSelf>
{
    /// <summary>What a handle needs to reach its actor from any process: id, node, address, type.</summary>
    ActorInfo Info { get; }

    /// <summary>A working handle to the actor, calling through the client of the process that reads it.</summary>
    static abstract TSelf Bind(ActorInfo info, IObjectOwner reader);
}
