using Granary.Runtime.Wire;

namespace Granary.Runtime.Grains;

/// <summary>
/// The Orleans key of an actor's grain. A named actor is keyed by its name, so two creations of one name
/// meet in one activation however they race; an unnamed one by its id. The prefix keeps a name from ever
/// equalling a generated id. Thread-safe (pure).
/// </summary>
internal static class ActorKeys
{
    private const string NamedPrefix = "name/";

    public static string GrainKey(string name, string actorId) => name.Length > 0 ? NamedPrefix + name : actorId;

    public static string GrainKey(ActorInfo info) => GrainKey(info.Name, info.ActorId);

    public static string GrainKey(ActorSpec spec) => GrainKey(spec.Name, spec.ActorId);
}
