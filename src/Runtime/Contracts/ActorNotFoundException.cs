namespace Granary;

/// <summary>No live actor has the requested name.</summary>
public sealed class ActorNotFoundException : GranaryException
{
    public ActorNotFoundException(string name) : base($"No actor named '{name}' exists. Create it with CreateActorAsync (options.Name) or use GetOrCreateActorAsync.") => Name = name;

    public string Name { get; }
}
