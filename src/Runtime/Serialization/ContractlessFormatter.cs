using MessagePack;
using MessagePack.Formatters;

namespace Granary.Runtime.Serialization;

/// <summary>
/// MessagePack's contractless layout for a plain type (a class, struct or record with no attributes): a map
/// from each member's key to its value (<see cref="ContractlessShape"/> says which members). It is built with
/// reflection rather than taken from MessagePack's <c>DynamicContractlessObjectResolver</c>, which emits each
/// formatter into one dynamic assembly that MessagePack holds for the life of the process: a formatter for a
/// job's type would keep the job's collectible load context from ever unloading. That resolver also refuses
/// non-public types (a script's top-level records are internal) and needs dynamic code, which a file-based app
/// (<c>dotnet run app.cs</c>) turns off. The bytes are the same as that resolver's. Thread-safe.
/// </summary>
internal sealed class ContractlessFormatter<T>(ValueResolver resolver) : IMessagePackFormatter<T>
{
    private readonly ContractlessShape _shape = ContractlessShape.Create(typeof(T), resolver);

    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        WriteDepth.Enter(typeof(T), options);
        try
        {
            object boxed = value;
            var members = _shape.Written;
            writer.WriteMapHeader(members.Length);
            foreach (var member in members)
            {
                writer.WriteRaw(member.EncodedKey);
                member.Write(ref writer, boxed, options);
            }
        }
        finally
        {
            WriteDepth.Exit();
        }
    }

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return default!;
        }

        options.Security.DepthStep(ref reader);
        try
        {
            var members = _shape.Members;
            var values = new object?[members.Length];
            var read = new bool[members.Length];
            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                var index = _shape.IndexOf(Key(ref reader));
                if (index < 0)
                {
                    // A member this side does not have (another version of the type): skipped, as MessagePack does.
                    reader.Skip();
                    continue;
                }

                values[index] = members[index].Read(ref reader, options);
                read[index] = true;
            }

            return (T)_shape.Create(values, read);
        }
        finally
        {
            reader.Depth--;
        }
    }

    private static ReadOnlySpan<byte> Key(ref MessagePackReader reader)
    {
        if (reader.TryReadStringSpan(out var span))
        {
            return span;
        }

        // A key split across two segments of the input.
        var sequence = reader.ReadStringSequence() ?? throw new MessagePackSerializationException("A member key in the value is nil.");
        return System.Buffers.BuffersExtensions.ToArray(sequence);
    }
}
