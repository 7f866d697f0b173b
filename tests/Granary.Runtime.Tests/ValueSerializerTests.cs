using System.Buffers;
using System.Text;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;
using MessagePack;
using MessagePack.Resolvers;

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
    public void Other_values_use_message_pack_with_fields()
    {
        var value = _serializer.Serialize((3, "three"), typeof((int, string)));
        Assert.Equal(ValueFormat.MessagePack, value.Format);
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
    public void A_custom_serializer_also_writes_its_types_inside_records_and_arrays()
    {
        var writer = new ValueSerializer([new UpperSerializer()]);
        var value = writer.Serialize(new Sample("quiet", 2), typeof(Sample));
        Assert.Equal(ValueFormat.MessagePack, value.Format);

        // The reader has the serializer in its list, as a node has it from the job's manifest.
        var reader = new ValueSerializer([new UpperSerializer()]);
        Assert.Equal(new Sample("QUIET", 2), reader.Deserialize<Sample>(value));
        Assert.Equal(["A", "B"], reader.Deserialize<List<string>>(writer.Serialize(new List<string> { "a", "b" }, typeof(List<string>))));
        Assert.Null(reader.Deserialize<Sample>(writer.Serialize(new Sample(null!, 1), typeof(Sample))).Name);
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
    public void Plain_types_need_no_attributes_and_keep_only_public_members()
    {
        var fields = new Fields { Count = 3, Label = "l", Left = "out" };
        fields.SetHidden(9);
        var read = RoundTrip(fields);
        Assert.Equal((3, "l", 0, null), (read.Count, read.Label, read.Hidden, read.Left));

        Assert.Equal(new Internal(1, [new Sample("x", 2)]), RoundTrip(new Internal(1, [new Sample("x", 2)])), InternalComparer.Instance);
        Assert.Equal(new Pair { Left = 1.5, Right = -1 }, RoundTrip(new Pair { Left = 1.5, Right = -1 }));
        Assert.Equal(Shade.Dark, RoundTrip(Shade.Dark));
        Assert.Equal(new Dictionary<string, Sample?> { ["a"] = new("a", 1), ["b"] = null }, RoundTrip(new Dictionary<string, Sample?> { ["a"] = new("a", 1), ["b"] = null }));
        Assert.Equal((int?)null, RoundTrip<int?>(null));
        Assert.Equal(["x", "y"], RoundTrip<IReadOnlyList<string>>(["x", "y"]));
    }

    [Fact]
    public void Public_types_are_written_as_message_pack_writes_them_contractless()
    {
        // The same bytes as MessagePack's own ContractlessStandardResolver, so either side can read the other.
        var sample = new Tree("root", [new Tree("leaf", [], Shade.Dark)], Shade.Light);
        var value = _serializer.Serialize(sample, typeof(Tree));
        Assert.Equal(MessagePackSerializer.Serialize(sample, ContractlessStandardResolver.Options), value.Data.ToByteArray());
        Assert.Equal("root", MessagePackSerializer.Deserialize<Tree>(value.Data.Memory, ContractlessStandardResolver.Options).Name);
    }

    [Fact]
    public void Object_typed_members_hold_any_value()
    {
        var read = RoundTrip(new Boxes([1, "two", new List<int> { 3 }, null]));
        Assert.Equal(1, Convert.ToInt32(read.Items[0]));
        Assert.Equal("two", read.Items[1]);
        Assert.Equal(3, Convert.ToInt32(Assert.IsType<object[]>(read.Items[2])[0]));
        Assert.Null(read.Items[3]);
    }

    [Fact]
    public void A_type_that_could_not_be_read_back_fails_when_written()
    {
        var error = Assert.Throws<ValueSerializationException>(() => _serializer.Serialize(new NoMatchingConstructor(1), typeof(NoMatchingConstructor)));
        Assert.Contains(nameof(NoMatchingConstructor), error.Message);
        Assert.Contains("constructor", error.Message);

        var declared = Assert.Throws<ValueSerializationException>(() => _serializer.Serialize(new Sample("s", 1), typeof(IEquatable<Sample>)));
        Assert.Contains("is an interface", declared.Message);
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
        var value = new Value { Format = ValueFormat.MessagePack, Data = Google.Protobuf.ByteString.CopyFrom(MessagePackSerializer.Serialize("text")) };
        var error = Assert.Throws<ValueSerializationException>(() => _serializer.Deserialize<int>(value));
        Assert.Contains("System.Int32", error.Message);
    }

    public sealed record Sample(string Name, int Count);

    public sealed record Tree(string Name, List<Tree> Children, Shade Shade);

    public sealed record Boxes(object?[] Items);

    public enum Shade
    {
        Light,
        Dark,
    }

    public record struct Pair
    {
        public double Left;

        public int Right { get; set; }
    }

    public sealed class Fields
    {
        public int Count;

        private int _hidden;

        public string? Label { get; set; }

        [System.Runtime.Serialization.IgnoreDataMember]
        public string? Left { get; set; }

        public int Hidden => _hidden;

        public void SetHidden(int hidden) => _hidden = hidden;
    }

    public sealed class NoMatchingConstructor(int seed)
    {
        public int Doubled { get; } = seed * 2;
    }

    private T RoundTrip<T>(T value) => _serializer.Deserialize<T>(_serializer.Serialize(value, typeof(T)));

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

    /// <summary>A record no other assembly can see: MessagePack's emitted formatters refuse such types.</summary>
    internal sealed record Internal(int Id, List<Sample> Samples);

    private sealed class InternalComparer : IEqualityComparer<Internal>
    {
        public static readonly InternalComparer Instance = new();

        public bool Equals(Internal? x, Internal? y) => x!.Id == y!.Id && x.Samples.SequenceEqual(y.Samples);

        public int GetHashCode(Internal obj) => obj.Id;
    }
}
