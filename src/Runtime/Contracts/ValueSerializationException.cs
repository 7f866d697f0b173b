namespace Granary;

/// <summary>A value could not be serialized or deserialized; the message names its type.</summary>
public sealed class ValueSerializationException : GranaryException
{
    public ValueSerializationException(Type valueType, string message, Exception? innerException = null) : base(message, innerException) => ValueType = valueType;

    public Type ValueType { get; }
}
