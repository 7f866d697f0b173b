using Google.Protobuf;
using Granary.Runtime.Wire;
using MessagePack;

namespace Granary.Runtime.Serialization;

/// <summary>
/// How an actor handle looks inside a MessagePack value: extension type <see cref="TypeCode"/>, whose payload is
/// the protobuf <c>ActorInfo</c>. An extension, like a ref (<see cref="ObjectRefExtension"/>), so no user map
/// can pass for a handle.
/// </summary>
internal static class ActorHandleExtension
{
    /// <summary>The extension type of an actor handle: 72 is 'H'.</summary>
    public const sbyte TypeCode = 72;

    public static void Write(ref MessagePackWriter writer, ActorInfo actor)
    {
        var size = actor.CalculateSize();
        writer.WriteExtensionFormatHeader(new ExtensionHeader(TypeCode, size));
        var span = writer.GetSpan(size)[..size];
        actor.WriteTo(span);
        writer.Advance(size);
    }

    public static ActorInfo Read(ref MessagePackReader reader)
    {
        var header = reader.ReadExtensionFormatHeader();
        if (header.TypeCode != TypeCode)
        {
            throw new MessagePackSerializationException($"An actor handle is written as MessagePack extension {TypeCode}, not {header.TypeCode}.");
        }

        var actor = ActorInfo.Parser.ParseFrom(reader.ReadRaw(header.Length));
        return string.IsNullOrEmpty(actor.ActorId)
            ? throw new MessagePackSerializationException("An actor handle in a value has no actor id.")
            : actor;
    }
}
