using System.Buffers;
using TorchSharp;
using static TorchSharp.torch;

namespace Granary.TorchSharp.Tests;

/// <summary>The tensor wire form on its own: every carried dtype, views, gradients and bad bytes.</summary>
public sealed class TensorSerializerTests
{
    private readonly TensorSerializer _serializer = new();

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Int8)]
    [InlineData(ScalarType.Byte)]
    [InlineData(ScalarType.Int16)]
    [InlineData(ScalarType.Int32)]
    [InlineData(ScalarType.Int64)]
    [InlineData(ScalarType.Bool)]
    public void Every_carried_dtype_round_trips_with_its_shape_and_values(ScalarType dtype)
    {
        using var original = torch.arange(0, 24).remainder(7).reshape(2, 3, 4).to(dtype);
        using var back = RoundTrip(original);

        Assert.Equal(dtype, back.dtype);
        Assert.Equal(new long[] { 2, 3, 4 }, back.shape);
        Assert.True(back.eq(original).all().item<bool>());
    }

    [Fact]
    public void The_bytes_are_the_storage_plus_a_small_header_not_an_element_by_element_encoding()
    {
        using var original = torch.rand(256, 256);
        var buffer = new ArrayBufferWriter<byte>();
        _serializer.Serialize(buffer, original, typeof(Tensor));
        Assert.Equal((256 * 256 * 4) + 4 + (2 * 8), buffer.WrittenCount);
    }

    [Fact]
    public void A_view_is_written_as_the_values_it_shows()
    {
        using var whole = torch.arange(0, 16, dtype: ScalarType.Float32).reshape(4, 4);
        using var column = whole[TensorIndex.Colon, 1];
        Assert.False(column.is_contiguous());

        using var back = RoundTrip(column);
        Assert.Equal(new[] { 1f, 5f, 9f, 13f }, back.data<float>().ToArray());
    }

    [Fact]
    public void Scalars_empty_tensors_and_requires_grad_survive()
    {
        using var scalar = torch.tensor(3.25f);
        using var scalarBack = RoundTrip(scalar);
        Assert.Empty(scalarBack.shape);
        Assert.Equal(3.25f, scalarBack.item<float>());

        using var empty = torch.zeros(0, 5);
        using var emptyBack = RoundTrip(empty);
        Assert.Equal(new long[] { 0, 5 }, emptyBack.shape);

        using var weights = torch.ones(3, requires_grad: true);
        using var weightsBack = RoundTrip(weights);
        Assert.True(weightsBack.requires_grad);
    }

    [Fact]
    public void Bytes_that_are_not_a_tensor_fail_saying_what_is_wrong()
    {
        var wrongVersion = Assert.Throws<InvalidDataException>(() => _serializer.Deserialize(new byte[] { 9, 6, 0, 0 }, typeof(Tensor)));
        Assert.Contains("format 9", wrongVersion.Message);

        using var original = torch.ones(4);
        var buffer = new ArrayBufferWriter<byte>();
        _serializer.Serialize(buffer, original, typeof(Tensor));
        var truncated = Assert.Throws<InvalidDataException>(() => _serializer.Deserialize(buffer.WrittenMemory[..^2], typeof(Tensor)));
        Assert.Contains("needs 16 bytes; 14 came", truncated.Message);
    }

    [Fact]
    public void A_dtype_it_cannot_carry_is_refused_naming_the_ones_it_can()
    {
        using var complex = torch.zeros(2, dtype: ScalarType.ComplexFloat32);
        using var back = RoundTrip(complex);
        Assert.Equal(ScalarType.ComplexFloat32, back.dtype);
        Assert.Contains("float32", Assert.Throws<NotSupportedException>(() => TensorTypes.ElementSize((ScalarType)99)).Message);
    }

    private Tensor RoundTrip(Tensor tensor)
    {
        Assert.True(_serializer.CanSerialize(tensor.GetType()));
        var buffer = new ArrayBufferWriter<byte>();
        _serializer.Serialize(buffer, tensor, typeof(Tensor));
        return (Tensor)_serializer.Deserialize(buffer.WrittenMemory, typeof(Tensor))!;
    }
}
