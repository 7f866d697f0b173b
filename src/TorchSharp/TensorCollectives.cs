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
    public static Task<Tensor> AllReduceAsync(this RankContext context, Tensor tensor, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return InPlaceAsync(tensor, new AllReduce(context, op, cancellationToken));
    }

    /// <summary>Replaces <paramref name="tensor"/>'s values by <paramref name="root"/>'s (same shape on every rank); returns it.</summary>
    public static Task<Tensor> BroadcastAsync(this RankContext context, Tensor tensor, int root = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return InPlaceAsync(tensor, new Broadcast(context, root, cancellationToken));
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

    /// <summary>Runs <paramref name="collective"/> over the tensor's values as a flat array of its dtype and writes the answer back into it.</summary>
    private static async Task<Tensor> InPlaceAsync<TCollective>(Tensor tensor, TCollective collective)
        where TCollective : IArrayCollective
    {
        ArgumentNullException.ThrowIfNull(tensor);
        switch (tensor.dtype)
        {
            case ScalarType.Float32:
                Fill(tensor, await collective.RunAsync(Flat<float>(tensor)).ConfigureAwait(false));
                break;
            case ScalarType.Float64:
                Fill(tensor, await collective.RunAsync(Flat<double>(tensor)).ConfigureAwait(false));
                break;
            case ScalarType.Int32:
                Fill(tensor, await collective.RunAsync(Flat<int>(tensor)).ConfigureAwait(false));
                break;
            case ScalarType.Int64:
                Fill(tensor, await collective.RunAsync(Flat<long>(tensor)).ConfigureAwait(false));
                break;
            default:
                throw Unsupported(tensor.dtype);
        }

        return tensor;
    }

    /// <summary>An array collective that is generic in the element type, so one dtype switch serves all-reduce and broadcast.</summary>
    private interface IArrayCollective
    {
        Task<T[]> RunAsync<T>(T[] data)
            where T : unmanaged, System.Numerics.INumber<T>;
    }

    private readonly record struct AllReduce(RankContext Context, ReduceOp Op, CancellationToken CancellationToken) : IArrayCollective
    {
        public Task<T[]> RunAsync<T>(T[] data)
            where T : unmanaged, System.Numerics.INumber<T> => Context.AllReduceAsync(data, Op, CancellationToken);
    }

    private readonly record struct Broadcast(RankContext Context, int Root, CancellationToken CancellationToken) : IArrayCollective
    {
        public Task<T[]> RunAsync<T>(T[] data)
            where T : unmanaged, System.Numerics.INumber<T> => Context.BroadcastAsync(data, Root, CancellationToken);
    }

    /// <summary>The tensor's values as a new array (one copy of the bytes, as <see cref="FromArray"/> writes them back).</summary>
    private static T[] Flat<T>(Tensor tensor)
        where T : unmanaged
    {
        using var scope = torch.NewDisposeScope();
        var cpu = tensor.device_type == DeviceType.CPU && tensor.is_contiguous() ? tensor : tensor.detach().cpu().contiguous();
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(cpu.bytes).ToArray();
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
