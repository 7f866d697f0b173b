using Granary.Runtime.Wire;

namespace Granary.Runtime.Grains;

/// <summary>
/// The Orleans key of an actor's grain. A named actor is keyed by its namespace and name, so two creations
/// of one name meet in one activation however they race; an unnamed one by its id. The prefixes keep a
/// name from ever equalling a generated id, and a name of one namespace from equalling another's: the
/// default namespace's names keep the key they had before namespaces (<c>name/NAME</c>), others are
/// <c>ns/NAMESPACE/NAME</c> (a namespace has no '/'). Thread-safe (pure).
/// </summary>
internal static class ActorKeys
{
    private const string NamedPrefix = "name/";
    private const string NamespacedPrefix = "ns/";

    public static string GrainKey(string ns, string name, string actorId) =>
        name.Length == 0 ? actorId
        : ns.Length == 0 || ns == GranaryDefaults.Namespace ? NamedPrefix + name
        : NamespacedPrefix + ns + "/" + name;

    public static string GrainKey(ActorInfo info) => GrainKey(info.Namespace, info.Name, info.ActorId);

    public static string GrainKey(ActorSpec spec) => GrainKey(spec.Namespace, spec.Name, spec.ActorId);
}
