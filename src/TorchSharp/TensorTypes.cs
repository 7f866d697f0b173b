using static TorchSharp.torch;

namespace Granary.TorchSharp;

/// <summary>The dtypes Granary carries and reduces, and their sizes: one place, so the serializer and the collectives agree.</summary>
internal static class TensorTypes
{
    /// <summary>Bytes per element of <paramref name="dtype"/>; throws for a dtype Granary does not carry, naming those it does.</summary>
    public static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => throw new NotSupportedException($"Granary.TorchSharp cannot carry a tensor of dtype {dtype}: use one of uint8, int8, bool, int16, float16, bfloat16, int32, float32, int64, float64, complex64 or complex128 (tensor.to(...) converts)."),
    };
}
