using System.Buffers;
using System.Text;

namespace Granary.Client.Tests;

/// <summary>A custom serializer writing a <see cref="Word"/> as "W:" + its text.</summary>
public sealed class WordSerializer : ISerializer
{
    public bool CanSerialize(Type type) => type == typeof(Word);

    public void Serialize(IBufferWriter<byte> output, object? value, Type type)
    {
        var bytes = Encoding.UTF8.GetBytes("W:" + ((Word)value!).Text());
        output.Write(bytes);
    }

    public object? Deserialize(ReadOnlyMemory<byte> data, Type type)
    {
        var text = Encoding.UTF8.GetString(data.Span);
        return text.StartsWith("W:", StringComparison.Ordinal) ? new Word(text[2..]) : throw new FormatException("not a Word");
    }
}
