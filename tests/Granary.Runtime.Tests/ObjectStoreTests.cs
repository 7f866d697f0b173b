using Google.Protobuf;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Tests;

public sealed class ObjectStoreTests : IDisposable
{
    private readonly string _spill = Path.Combine(Path.GetTempPath(), "granary-store-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_spill))
        {
            Directory.Delete(_spill, recursive: true);
        }
    }

    private static Value Bytes(int size, byte fill) =>
        new() { Format = ValueFormat.Raw, Serializer = "System.Byte", Data = ByteString.CopyFrom(Enumerable.Repeat(fill, size).ToArray()) };

    [Fact]
    public void Least_recently_used_objects_spill_and_come_back_on_get()
    {
        using var store = new ObjectStore(capacityBytes: 1000, _spill);
        store.Put("a", "job", Bytes(400, 1));
        store.Put("b", "job", Bytes(400, 2));
        Assert.True(store.TryGet("a", out _));
        store.Put("c", "job", Bytes(400, 3));

        Assert.Equal(800, store.Bytes);
        Assert.Equal(400, store.SpilledBytes);
        Assert.Single(Directory.GetFiles(_spill));

        // "a" was read after "b" was put, so "b" is the least recently used and the one on disk; reading the
        // two in memory brings nothing back from disk.
        Assert.Equal(2, SpilledFill());
        Assert.True(store.TryGet("a", out _));
        Assert.True(store.TryGet("c", out _));
        Assert.Equal(2, SpilledFill());

        Assert.True(store.TryGet("b", out var b));
        Assert.All(b.Data.ToByteArray(), x => Assert.Equal(2, x));
        Assert.Equal(ValueFormat.Raw, b.Format);
        Assert.Equal("System.Byte", b.Serializer);
        Assert.Equal(800, store.Bytes);
        Assert.Equal(3, store.Count);

        // Bringing "b" back made room by spilling the object now used longest ago: "a" (read before "c").
        Assert.Equal(1, SpilledFill());
    }

    /// <summary>The fill byte of the one object on disk: which object spilled, seen from what the spill holds.</summary>
    private byte SpilledFill()
    {
        var bytes = File.ReadAllBytes(Assert.Single(Directory.GetFiles(_spill)));
        Assert.Equal(400, bytes.Length);
        return Assert.Single(bytes.Distinct());
    }

    [Fact]
    public void An_object_larger_than_the_capacity_goes_straight_to_disk()
    {
        using var store = new ObjectStore(capacityBytes: 100, _spill);
        store.Put("big", "job", Bytes(1000, 7));
        Assert.Equal(0, store.Bytes);
        Assert.Equal(1000, store.SpilledBytes);
        Assert.True(store.TryGet("big", out var big));
        Assert.Equal(1000, big.Data.Length);
    }

    [Fact]
    public void Freeing_deletes_spilled_files_and_job_objects()
    {
        using var store = new ObjectStore(capacityBytes: 100, _spill);
        store.Put("x", "j1", Bytes(500, 1));
        store.Put("y", "j2", Bytes(50, 1));
        store.FreeJob("j1");
        Assert.Empty(Directory.GetFiles(_spill));
        Assert.False(store.TryGet("x", out _));
        Assert.True(store.TryGet("y", out _));
        store.Free("y");
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.Bytes);
    }

    [Fact]
    public void A_spill_that_cannot_be_written_fails_the_put_clearly_and_keeps_what_was_stored()
    {
        // A file where the spill folder should be: every spill write fails at once, as on a full disk.
        File.WriteAllText(_spill, "not a directory");
        try
        {
            using var store = new ObjectStore(capacityBytes: 1000, _spill);
            store.Put("kept", "job", Bytes(800, 1));
            var error = Assert.Throws<ObjectStoreFullException>(() => store.Put("refused", "job", Bytes(800, 2)));
            Assert.Contains(_spill, error.Message);
            Assert.Contains("SpillDirectory", error.Message);
            Assert.True(store.TryGet("kept", out _));
            Assert.False(store.TryGet("refused", out _));
        }
        finally
        {
            File.Delete(_spill);
        }
    }
}
