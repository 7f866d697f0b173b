namespace Granary;

/// <summary>A silo's object store could neither hold nor spill an object (its spill disk is full or unwritable); the message names the directory and the fix.</summary>
public sealed class ObjectStoreFullException : GranaryException
{
    public ObjectStoreFullException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }
}
