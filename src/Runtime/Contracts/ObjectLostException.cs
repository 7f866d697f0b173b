namespace Granary;

/// <summary>An object's value can no longer be fetched: the node holding it died or it was freed.</summary>
public sealed class ObjectLostException : GranaryException
{
    public ObjectLostException(string objectId, string message, Exception? innerException = null) : base(message, innerException) => ObjectId = objectId;

    public string ObjectId { get; }
}
