using System.Buffers;
using System.Buffers.Binary;
using TorchSharp;
using static TorchSharp.torch;

namespace Granary.TorchSharp;

/// <summary>
/// Carries a <see cref="Tensor"/> as its raw bytes with its dtype and shape, never element by element: a
/// small header (format version, dtype, requires_grad, rank, dimensions) and then the tensor's storage in
/// row-major order. A tensor on a GPU is copied to the CPU to be written and reads back on the CPU (move it
/// with <c>.to(TaskContext.Current.TorchDevice())</c>); a view is written as the tensor it shows, not its
/// whole storage. Registered by <see cref="TorchSharpClientOptions.UseTorchSharp"/>; it carries tensors at the
/// top of a value and inside records, arrays and lists alike.
/// </summary>
public sealed class TensorSerializer : ISerializer
{
    private const byte FormatVersion = 1;

    /// <summary>The most dimensions a tensor read back may have (libtorch's own limit is 64).</summary>
    private const int MaxRank = 64;

    public bool CanSerialize(Type type) => typeof(Tensor).IsAssignableFrom(type);

    public void Serialize(IBufferWriter<byte> output, object? value, Type type)
    {
        ArgumentNullException.ThrowIfNull(output);
        var tensor = value as Tensor ?? throw new ArgumentException($"TensorSerializer writes torch.Tensor values, not {value?.GetType().Name ?? "null"}.", nameof(value));
        var dtype = tensor.dtype;
        _ = TensorTypes.ElementSize(dtype);

        // Contiguous CPU memory, so the storage can be written in one piece; a copy only when it is not already.
        using var scope = torch.NewDisposeScope();
        var plain = tensor.device_type == DeviceType.CPU && tensor.is_contiguous() ? tensor : tensor.detach().cpu().contiguous();
        var shape = plain.shape;
        var headerLength = 4 + (8 * shape.Length);
        var header = output.GetSpan(headerLength);
        header[0] = FormatVersion;
        header[1] = (byte)dtype;
        header[2] = tensor.requires_grad ? (byte)1 : (byte)0;
        header[3] = (byte)shape.Length;
        for (var i = 0; i < shape.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(header.Slice(4 + (8 * i)), shape[i]);
        }

        output.Advance(headerLength);
        var bytes = plain.bytes;
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    public object? Deserialize(ReadOnlyMemory<byte> data, Type type)
    {
        var span = data.Span;
        if (span.Length < 4 || span[0] != FormatVersion)
        {
            throw new InvalidDataException($"The bytes are not a tensor written by this version of Granary.TorchSharp (format {(span.Length == 0 ? "none" : span[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}, expected {FormatVersion}).");
        }

        var dtype = (ScalarType)span[1];
        var elementSize = TensorTypes.ElementSize(dtype);
        var rank = span[3];
        if (rank > MaxRank || span.Length < 4 + (8 * rank))
        {
            throw new InvalidDataException($"A tensor's header says {rank} dimensions, more than the {span.Length} bytes hold.");
        }

        var shape = new long[rank];
        var elements = 1L;
        for (var i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt64LittleEndian(span.Slice(4 + (8 * i)));
            elements = checked(elements * shape[i]);
        }

        var payload = span.Slice(4 + (8 * rank));
        if (payload.Length != checked(elements * elementSize))
        {
            throw new InvalidDataException($"A {dtype} tensor of shape [{string.Join(", ", shape)}] needs {elements * elementSize} bytes; {payload.Length} came.");
        }

        var tensor = torch.empty(shape, dtype);
        payload.CopyTo(tensor.bytes);
        if (span[2] == 1)
        {
            tensor.requires_grad_(true);
        }

        return tensor;
    }
}
