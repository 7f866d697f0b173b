using System.Buffers;
using System.Text;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Tests;

public sealed class ValueSerializerTests
{
    private readonly ValueSerializer _serializer = new();

    [Fact]
    public void Byte_and_primitive_arrays_take_the_raw_path()
    {
        var ints = new[] { 1, 2, 3, int.MaxValue };
        var value = _serializer.Serialize(ints, typeof(int[]));
        Assert.Equal(ValueFormat.Raw, value.Format);
        Assert.Equal(ints.Length * sizeof(int), value.Data.Length);
        Assert.Equal(ints, _serializer.Deserialize<int[]>(value));

        var bytes = new byte[] { 9, 8, 7 };
        Assert.Equal(bytes, _serializer.Deserialize<byte[]>(_serializer.Serialize(bytes, typeof(byte[]))));
        var doubles = new[] { 1.5, -2.25 };
        Assert.Equal(doubles, _serializer.Deserialize<double[]>(_serializer.Serialize(doubles, typeof(double[]))));
    }

    [Fact]
    public void Other_values_use_json_with_fields()
    {
        var value = _serializer.Serialize((3, "three"), typeof((int, string)));
        Assert.Equal(ValueFormat.Json, value.Format);
        Assert.Equal((3, "three"), _serializer.Deserialize<(int, string)>(value));
        Assert.Equal(new Sample("a", 2), _serializer.Deserialize<Sample>(_serializer.Serialize(new Sample("a", 2), typeof(Sample))));
    }

    [Fact]
    public void Null_round_trips()
    {
        var value = _serializer.Serialize(null, typeof(string));
        Assert.Equal(ValueFormat.Null, value.Format);
        Assert.Null(_serializer.Deserialize<string?>(value));
    }

    [Fact]
    public void A_custom_serializer_is_tried_first_and_found_by_name()
    {
        var writer = new ValueSerializer([new UpperSerializer()]);
        var value = writer.Serialize("quiet", typeof(string));
        Assert.Equal(ValueFormat.Custom, value.Format);
        var reader = new ValueSerializer(resolveByName: name => name == ValueSerializer.SerializerName(new UpperSerializer()) ? new UpperSerializer() : throw new InvalidOperationException(name));
        Assert.Equal("QUIET", reader.Deserialize<string>(value));
    }

    [Fact]
    public void An_unserializable_value_names_its_type()
    {
        var cycle = new Cycle();
        cycle.Self = cycle;
        var error = Assert.Throws<ValueSerializationException>(() => _serializer.Serialize(cycle, typeof(Cycle)));
        Assert.Contains(nameof(Cycle), error.Message);
        Assert.Equal(typeof(Cycle), error.ValueType);
    }

    [Fact]
    public void A_value_of_the_wrong_shape_names_the_target_type()
    {
        var value = new Value { Format = ValueFormat.Json, Data = Google.Protobuf.ByteString.CopyFromUtf8("\"text\"") };
        var error = Assert.Throws<ValueSerializationException>(() => _serializer.Deserialize<int>(value));
        Assert.Contains("System.Int32", error.Message);
    }

    public sealed record Sample(string Name, int Count);

    public sealed class Cycle
    {
        public Cycle? Self { get; set; }
    }

    private sealed class UpperSerializer : ISerializer
    {
        public bool CanSerialize(Type type) => type == typeof(string);

        public void Serialize(IBufferWriter<byte> output, object? value, Type type) => output.Write(Encoding.UTF8.GetBytes(((string)value!).ToUpperInvariant()));

        public object? Deserialize(ReadOnlyMemory<byte> data, Type type) => Encoding.UTF8.GetString(data.Span);
    }
}
