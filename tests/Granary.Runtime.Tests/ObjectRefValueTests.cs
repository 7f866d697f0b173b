using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Tests;

/// <summary>ObjectRefs inside MessagePack values, between two owners standing for two processes.</summary>
public sealed class ObjectRefValueTests
{
    private readonly TestOwner _client = new("job-client");
    private readonly TestOwner _silo = new("job-client@node-1");

    [Fact]
    public void A_ref_is_written_with_its_id_owner_and_state()
    {
        var five = _client.Inline("o-five", 5);
        var bytes = _client.Serializer.Serialize(new[] { Ref<int>(five) }, typeof(ObjectRef<int>[])).Data.Memory;

        // An array of one MessagePack extension of type 71, holding the protobuf NestedRef.
        var reader = new MessagePack.MessagePackReader(bytes);
        Assert.Equal(1, reader.ReadArrayHeader());
        var extension = reader.ReadExtensionFormat();
        Assert.Equal(ObjectRefExtension.TypeCode, extension.TypeCode);
        var reference = NestedRef.Parser.ParseFrom(extension.Data);
        Assert.Equal("o-five", reference.ObjectId);
        Assert.Equal("job-client", reference.Owner);
        Assert.Equal(5, _silo.Serializer.Deserialize<int>(reference.Value));
    }

    [Fact]
    public void Refs_read_back_by_their_owner_are_its_live_entries()
    {
        var entries = Enumerable.Range(0, 3).Select(i => _client.Inline("o-" + i, i)).ToList();
        var value = _client.Serializer.Serialize(entries.Select(Ref<int>).ToList(), typeof(List<ObjectRef<int>>), out var contained);

        Assert.Equal(entries, contained!.All);
        Assert.Null(contained.Pending);
        var back = _client.Serializer.Deserialize<List<ObjectRef<int>>>(value);
        Assert.Equal(entries, back.Select(r => r.Entry));
    }

    [Fact]
    public async Task Refs_read_elsewhere_are_borrowed_and_carry_their_state()
    {
        var inline = _client.Inline("o-inline", 42);
        var stored = new ObjectEntry("o-stored", _client);
        stored.TrySetLocation(new ObjectLocation { ObjectId = "o-stored", NodeId = "node-2", Address = "127.0.0.1:1", Size = 500_000 });
        var failed = new ObjectEntry("o-failed", _client);
        var error = new InvalidOperationException("it broke");
        failed.TrySetError(error, ErrorConverter.FromException(error, "node-2", "Jobs.Break"));
        var value = _client.Serializer.Serialize(new Trio(Ref<int>(inline), Ref<int[]>(stored), Ref<int>(failed)), typeof(Trio));

        var read = _silo.Serializer.Deserialize<Trio>(value);
        Assert.NotSame(inline, read.A.Entry);
        Assert.True(read.A.Entry.Borrowed);
        Assert.Equal("job-client", read.A.Entry.OwnerId);
        Assert.Equal(42, await read.A);
        Assert.Equal("127.0.0.1:1", read.B.Entry.Location!.Address);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => read.C.GetAsync().AsTask());
        Assert.Equal("it broke", Assert.IsType<RemoteTaskException>(failure.InnerException).RemoteMessage);

        // A second read in the same process resolves to the borrowed entry it made the first time.
        Assert.Same(read.A.Entry, _silo.Serializer.Deserialize<Trio>(value).A.Entry);
    }

    [Fact]
    public async Task Unfinished_refs_are_reported_and_filled_in_once_they_finish()
    {
        var later = new ObjectEntry("o-later", _client);
        var value = _client.Serializer.Serialize(new Dictionary<string, ObjectRef<int>> { ["x"] = Ref<int>(later) }, typeof(Dictionary<string, ObjectRef<int>>), out var contained);
        Assert.Equal([later], contained!.Pending!);

        later.TrySetValue(_client.Serializer.Serialize(7, typeof(int)));
        var filled = ContainedRefs.FillPending(value, contained.Pending!);
        var read = _silo.Serializer.Deserialize<Dictionary<string, ObjectRef<int>>>(filled);
        Assert.True(read["x"].IsReady);
        Assert.Equal(7, await read["x"]);
    }

    [Fact]
    public async Task A_ref_that_reached_another_process_unfinished_fails_with_the_fix()
    {
        var value = _client.Serializer.Serialize(Ref<int>(new ObjectEntry("o-never", _client)), typeof(ObjectRef<int>));
        var read = _silo.Serializer.Deserialize<ObjectRef<int>>(value);
        var error = await Assert.ThrowsAsync<GranaryException>(() => read.GetAsync().AsTask());
        Assert.Contains("Await the ref before putting it inside another value", error.Message);
    }

    [Fact]
    public async Task Filling_in_a_ref_keeps_the_rest_of_the_value_as_written()
    {
        var done = _client.Inline("o-done", 1);
        var later = new ObjectEntry("o-later", _client);
        var holder = new Holder("name", [Ref<int>(done), Ref<int>(later)], new Dictionary<string, double> { ["pi"] = 3.14 });
        var value = _client.Serializer.Serialize(holder, typeof(Holder), out var contained);
        Assert.Equal([later], contained!.Pending!);

        later.TrySetValue(_client.Serializer.Serialize(2, typeof(int)));
        var read = _silo.Serializer.Deserialize<Holder>(ContainedRefs.FillPending(value, contained.Pending!));
        Assert.Equal("name", read.Name);
        Assert.Equal(3.14, read.Extra["pi"]);
        Assert.Equal(1, await read.Refs[0]);
        Assert.Equal(2, await read.Refs[1]);
    }

    [Fact]
    public async Task Refs_in_object_typed_slots_read_back_as_refs()
    {
        var six = _client.Inline("o-six", 6);
        var value = _client.Serializer.Serialize(new List<object?> { Ref<int>(six), "x", null }, typeof(List<object?>), out var contained);
        Assert.Equal([six], contained!.All);

        var read = _silo.Serializer.Deserialize<List<object?>>(value);
        var reference = Assert.IsType<ObjectRef<object>>(read[0]);
        Assert.Equal("o-six", reference.Id);
        Assert.Equal(6, Convert.ToInt32(await reference));
        Assert.Equal("x", read[1]);
        Assert.Null(read[2]);
    }

    [Fact]
    public void Refs_equal_by_id()
    {
        var entry = _client.Inline("o-same", 1);
        Assert.Equal(Ref<int>(entry), Ref<int>(entry));
        Assert.NotEqual(Ref<int>(entry), Ref<int>(_client.Inline("o-other", 1)));
    }

    [Fact]
    public void The_equality_operators_compare_ids_as_Equals_does()
    {
        // Two refs to one object, as a ref read back out of a value and the original are: distinct instances and entries.
        var original = Ref<int>(new ObjectEntry("o-same", _client));
        var readBack = Ref<int>(new ObjectEntry("o-same", _client));
        var other = Ref<int>(new ObjectEntry("o-other", _client));
        Assert.NotSame(original, readBack);

        Assert.True(original == readBack);
        Assert.False(original != readBack);
        Assert.True(original != other);
        Assert.False(original == other);
        Assert.Equal(original.GetHashCode(), readBack.GetHashCode());

        // The untyped base and a differently typed view of the same id compare the same way.
        ObjectRef untyped = readBack;
        Assert.True(original == untyped);
        Assert.True(Ref<object>(new ObjectEntry("o-same", _client)) == original);

        // Null compares as references do: equal only to null.
        ObjectRef<int>? none = null;
        Assert.True(none == null);
        Assert.False(original == null);
        Assert.False(null == original);
        Assert.True(original != none);
    }

    private static ObjectRef<T> Ref<T>(ObjectEntry entry) => new(entry);

    public sealed record Trio(ObjectRef<int> A, ObjectRef<int[]> B, ObjectRef<int> C);

    public sealed record Holder(string Name, List<ObjectRef<int>> Refs, Dictionary<string, double> Extra);

    /// <summary>An owner with no network: stands for one process.</summary>
    private sealed class TestOwner : IObjectOwner
    {
        public TestOwner(string ownerId)
        {
            OwnerId = ownerId;
            Registry = new ObjectRegistry(this);
            Serializer = new ValueSerializer { Owner = this };
        }

        public string OwnerId { get; }

        public ValueSerializer Serializer { get; }

        public ObjectRegistry Registry { get; }

        public ObjectEntry Inline(string id, int value)
        {
            var entry = new ObjectEntry(id, this);
            entry.TrySetValue(Serializer.Serialize(value, typeof(int)));
            return entry;
        }

        public ValueTask<Value> FetchAsync(ObjectLocation location, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask<object?> FetchObjectAsync(ObjectLocation location, Type type, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public void Release(ObjectLocation location)
        {
        }
    }
}
