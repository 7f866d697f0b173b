using System.Numerics;
using System.Runtime.InteropServices;

namespace Granary.Runtime.Launch;

/// <summary>
/// Ring collectives (the algorithm NCCL and Horovod use): each rank sends only to the next rank and receives
/// only from the one before, so every link carries about the same bytes and no node, the head included, is a
/// hub. All-reduce is a reduce-scatter then an all-gather of N chunks, 2(N-1) steps; each rank sends
/// 2(N-1)/N of the array in all.
/// </summary>
internal static class RingCollectives
{
    public static async Task AllReduceAsync<T>(ILaunchChannel channel, int rank, int world, int sequence, T[] data, ReduceOp op, TimeSpan timeout, CancellationToken cancellationToken)
        where T : unmanaged, INumber<T>
    {
        var next = (rank + 1) % world;
        for (var s = 0; s < world - 1; s++)
        {
            // Reduce-scatter: after step s, chunk (rank - s - 1) holds the sum of s + 2 ranks' parts.
            var (sendStart, sendLength) = Chunk(data.Length, world, Mod(rank - s, world));
            var (receiveStart, receiveLength) = Chunk(data.Length, world, Mod(rank - s - 1, world));
            using var chunk = new ArrayBytes<T>(data, sendStart, sendLength);
            var send = channel.SendAsync(next, sequence, s, chunk.Memory, cancellationToken);
            using var received = await channel.ReceiveAsync(sequence, s, timeout, cancellationToken).ConfigureAwait(false);
            await send.ConfigureAwait(false);
            Reduce(data.AsSpan(receiveStart, receiveLength), Items<T>(received.Span, receiveLength, data.Length, world), op);
        }

        for (var s = 0; s < world - 1; s++)
        {
            // All-gather: pass the finished chunks around the ring.
            var step = world - 1 + s;
            var (sendStart, sendLength) = Chunk(data.Length, world, Mod(rank - s + 1, world));
            var (receiveStart, receiveLength) = Chunk(data.Length, world, Mod(rank - s, world));
            using var chunk = new ArrayBytes<T>(data, sendStart, sendLength);
            var send = channel.SendAsync(next, sequence, step, chunk.Memory, cancellationToken);
            using var received = await channel.ReceiveAsync(sequence, step, timeout, cancellationToken).ConfigureAwait(false);
            await send.ConfigureAwait(false);
            Items<T>(received.Span, receiveLength, data.Length, world).CopyTo(data.AsSpan(receiveStart, receiveLength));
        }

        if (op == ReduceOp.Mean)
        {
            var divisor = T.CreateChecked(world);
            for (var i = 0; i < data.Length; i++)
            {
                data[i] /= divisor;
            }
        }
    }

    public static async Task<T[]> BroadcastAsync<T>(ILaunchChannel channel, int rank, int world, int sequence, T[] data, int root, TimeSpan timeout, CancellationToken cancellationToken)
        where T : unmanaged
    {
        if (world == 1)
        {
            return (T[])data.Clone();
        }

        // A chain from the root around the ring, in segments, so a large array is forwarded while it arrives.
        var next = (rank + 1) % world;
        var last = next == root;
        var segmentItems = Math.Max(1, RankContext.PieceBytes / Marshal.SizeOf<T>());
        if (rank == root)
        {
            var segments = Math.Max(1, (data.Length + segmentItems - 1) / segmentItems);
            await channel.SendAsync(next, sequence, 0, BitConverter.GetBytes((long)data.Length), cancellationToken).ConfigureAwait(false);
            var sends = new List<Task>(segments);
            for (var i = 0; i < segments; i++)
            {
                var start = i * segmentItems;
                sends.Add(channel.SendAsync(next, sequence, i + 1, Bytes(data.AsSpan(start, Math.Min(segmentItems, data.Length - start))), cancellationToken));
            }

            await Task.WhenAll(sends).ConfigureAwait(false);
            return (T[])data.Clone();
        }

        var held = new List<ReceivedBytes>();
        try
        {
            var header = await channel.ReceiveAsync(sequence, 0, timeout, cancellationToken).ConfigureAwait(false);
            held.Add(header);
            var result = new T[BitConverter.ToInt64(header.Span)];
            var forwards = new List<Task>();
            if (!last)
            {
                forwards.Add(channel.SendAsync(next, sequence, 0, header.Memory, cancellationToken));
            }

            var count = Math.Max(1, (result.Length + segmentItems - 1) / segmentItems);
            for (var i = 0; i < count; i++)
            {
                var segment = await channel.ReceiveAsync(sequence, i + 1, timeout, cancellationToken).ConfigureAwait(false);
                held.Add(segment);
                if (!last)
                {
                    forwards.Add(channel.SendAsync(next, sequence, i + 1, segment.Memory, cancellationToken));
                }

                MemoryMarshal.Cast<byte, T>(segment.Span).CopyTo(result.AsSpan(i * segmentItems));
            }

            await Task.WhenAll(forwards).ConfigureAwait(false);
            return result;
        }
        finally
        {
            // Forwarded buffers go back to the pool only once their sends have ended (or failed).
            foreach (var buffer in held)
            {
                buffer.Dispose();
            }
        }
    }

    public static async Task<T[][]> AllGatherAsync<T>(ILaunchChannel channel, int rank, int world, int sequence, T[] data, TimeSpan timeout, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var all = new T[world][];
        all[rank] = (T[])data.Clone();
        var next = (rank + 1) % world;
        for (var s = 0; s < world - 1; s++)
        {
            // Step s: pass on the array that came from s ranks back (this rank's own at step 0).
            var send = channel.SendAsync(next, sequence, s, Bytes<T>(all[Mod(rank - s, world)]), cancellationToken);
            using var received = await channel.ReceiveAsync(sequence, s, timeout, cancellationToken).ConfigureAwait(false);
            await send.ConfigureAwait(false);
            all[Mod(rank - s - 1, world)] = MemoryMarshal.Cast<byte, T>(received.Span).ToArray();
        }

        return all;
    }

    /// <summary>Element-wise <paramref name="into"/> = <paramref name="into"/> op <paramref name="from"/>, vectorised where the hardware can.</summary>
    public static void Reduce<T>(Span<T> into, ReadOnlySpan<T> from, ReduceOp op)
        where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && into.Length >= Vector<T>.Count)
        {
            var target = MemoryMarshal.Cast<T, Vector<T>>(into);
            var source = MemoryMarshal.Cast<T, Vector<T>>(from);
            for (var v = 0; v < target.Length; v++)
            {
                target[v] = op switch
                {
                    ReduceOp.Min => Vector.Min(target[v], source[v]),
                    ReduceOp.Max => Vector.Max(target[v], source[v]),
                    _ => target[v] + source[v],
                };
            }

            i = target.Length * Vector<T>.Count;
        }

        for (; i < into.Length; i++)
        {
            into[i] = op switch
            {
                ReduceOp.Min => T.Min(into[i], from[i]),
                ReduceOp.Max => T.Max(into[i], from[i]),
                _ => into[i] + from[i],
            };
        }
    }

    private static ReadOnlySpan<T> Items<T>(ReadOnlySpan<byte> received, int expected, int length, int world)
        where T : unmanaged
    {
        var items = MemoryMarshal.Cast<byte, T>(received);
        if (items.Length != expected)
        {
            throw new InvalidOperationException($"AllReduce got {items.Length} items where this rank expected {expected} (an array of {length} split over {world} ranks): every rank must pass an array of the same length.");
        }

        return items;
    }

    private static (int Start, int Length) Chunk(int length, int world, int index)
    {
        var start = (int)((long)length * index / world);
        var end = (int)((long)length * (index + 1) / world);
        return (start, end - start);
    }

    private static int Mod(int value, int world) => ((value % world) + world) % world;

    private static byte[] Bytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged => MemoryMarshal.AsBytes(values).ToArray();
}
