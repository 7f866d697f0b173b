using TorchSharp;
using static TorchSharp.torch;

namespace Granary.TorchSharp;

/// <summary>
/// torch.distributed's collectives over tensors, on <see cref="RankContext"/>'s ring collectives. As in
/// torch.distributed, all-reduce and broadcast change the tensor in place (a parameter's gradient can be
/// reduced where it is); the tensor may live on any device, its values travel as a flat array and come back
/// to the same device. Float32, float64, int32 and int64 tensors.
/// </summary>
public static class TensorCollectives
{
    /// <summary>Replaces <paramref name="tensor"/>'s values by the element-wise reduction over all ranks (same shape everywhere); returns it.</summary>
    public static async Task<Tensor> AllReduceAsync(this RankContext context, Tensor tensor, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(tensor);
        switch (tensor.dtype)
        {
            case ScalarType.Float32:
                Fill(tensor, await context.AllReduceAsync(Flat<float>(tensor), op, cancellationToken).ConfigureAwait(false));
                break;
            case ScalarType.Float64:
                Fill(tensor, await context.AllReduceAsync(Flat<double>(tensor), op, cancellationToken).ConfigureAwait(false));
                break;
            case ScalarType.Int32:
                Fill(tensor, await context.AllReduceAsync(Flat<int>(tensor), op, cancellationToken).ConfigureAwait(false));
                break;
            case ScalarType.Int64:
                Fill(tensor, await context.AllReduceAsync(Flat<long>(tensor), op, cancellationToken).ConfigureAwait(false));
                break;
            default:
                throw Unsupported(tensor.dtype);
        }

        return tensor;
    }

    /// <summary>Replaces <paramref name="tensor"/>'s values by <paramref name="root"/>'s (same shape on every rank); returns it.</summary>
    public static async Task<Tensor> BroadcastAsync(this RankContext context, Tensor tensor, int root = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(tensor);
        switch (tensor.dtype)
        {
            case ScalarType.Float32:
                Fill(tensor, await context.BroadcastAsync(Flat<float>(tensor), root, cancellationToken).ConfigureAwait(false));
                break;
            case ScalarType.Float64:
                Fill(tensor, await context.BroadcastAsync(Flat<double>(tensor), root, cancellationToken).ConfigureAwait(false));
                break;
            case ScalarType.Int32:
                Fill(tensor, await context.BroadcastAsync(Flat<int>(tensor), root, cancellationToken).ConfigureAwait(false));
                break;
            case ScalarType.Int64:
                Fill(tensor, await context.BroadcastAsync(Flat<long>(tensor), root, cancellationToken).ConfigureAwait(false));
                break;
            default:
                throw Unsupported(tensor.dtype);
        }

        return tensor;
    }

    /// <summary>Every rank's tensor, in rank order, as new tensors on <paramref name="tensor"/>'s device (shapes may differ in their first dimension only if the other dimensions agree).</summary>
    public static async Task<Tensor[]> AllGatherAsync(this RankContext context, Tensor tensor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.dtype switch
        {
            ScalarType.Float32 => Shape(tensor, await context.AllGatherAsync(Flat<float>(tensor), cancellationToken).ConfigureAwait(false)),
            ScalarType.Float64 => Shape(tensor, await context.AllGatherAsync(Flat<double>(tensor), cancellationToken).ConfigureAwait(false)),
            ScalarType.Int32 => Shape(tensor, await context.AllGatherAsync(Flat<int>(tensor), cancellationToken).ConfigureAwait(false)),
            ScalarType.Int64 => Shape(tensor, await context.AllGatherAsync(Flat<long>(tensor), cancellationToken).ConfigureAwait(false)),
            _ => throw Unsupported(tensor.dtype),
        };
    }

    private static T[] Flat<T>(Tensor tensor)
        where T : unmanaged
    {
        using var cpu = tensor.detach().cpu().contiguous();
        return cpu.data<T>().ToArray();
    }

    private static void Fill<T>(Tensor tensor, T[] values)
        where T : unmanaged
    {
        using var noGrad = torch.no_grad();
        using var source = FromArray(values, tensor.shape, tensor.dtype);
        tensor.copy_(source);
    }

    /// <summary>A new CPU tensor holding <paramref name="values"/> (one copy of the bytes, no per-element work).</summary>
    private static Tensor FromArray<T>(T[] values, long[] shape, ScalarType dtype)
        where T : unmanaged
    {
        var tensor = torch.empty(shape, dtype);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(tensor.bytes);
        return tensor;
    }

    private static Tensor[] Shape<T>(Tensor like, T[][] parts)
        where T : unmanaged
    {
        var trailing = like.shape.Skip(1).ToArray();
        var perRow = trailing.Aggregate(1L, (a, b) => a * b);
        var result = new Tensor[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            long[] shape = like.shape.Length == 0 ? [] : [perRow == 0 ? 0 : parts[i].Length / perRow, .. trailing];
            using var cpu = FromArray(parts[i], shape, like.dtype);
            result[i] = cpu.to(like.device);
        }

        return result;
    }

    private static NotSupportedException Unsupported(ScalarType dtype) =>
        new($"Granary's collectives reduce float32, float64, int32 and int64 tensors, not {dtype}: convert with tensor.to(ScalarType.Float32) first.");
}
