namespace Granary;

/// <summary>The actor a call was meant for is dead (killed, its owner left, or its node died).</summary>
public sealed class ActorDiedException : GranaryException
{
    public ActorDiedException(string actorId, string message, Exception? innerException = null) : base(message, innerException) => ActorId = actorId;

    public string ActorId { get; }
}
