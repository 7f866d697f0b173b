namespace Granary.Client.Tests;

/// <summary>ObjectRefs held inside values: put, passed to tasks, returned by tasks.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NestedRefTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task A_put_list_of_refs_comes_back_as_the_same_refs()
    {
        var inner = Enumerable.Range(0, 20).Select(i => Client.Put(i * 10)).ToList();
        var outer = Client.Put(inner);

        var back = await outer.WithTimeout();
        Assert.Equal(inner, back);
        for (var i = 0; i < inner.Count; i++)
        {
            // The client owns these: they resolve to its own live entries, not to copies.
            Assert.Same(inner[i].Entry, back[i].Entry);
            Assert.Equal(i * 10, await back[i].WithTimeout());
        }
    }

    [Fact]
    public async Task A_value_holding_refs_reaches_a_task_that_gets_the_inner_values()
    {
        var refs = Enumerable.Range(1, 10).Select(i => Client.Put(i)).ToList();
        Assert.Equal(55, await Client.Remote(() => NestedRefJobs.SumAll(refs)).WithTimeout());

        // The same list as a put object, resolved on the silo as a top-level argument.
        var outer = Client.Put(refs);
        Assert.Equal(55, await Client.Remote(() => NestedRefJobs.SumAll(outer)).WithTimeout());

        var bag = new Bag(Client.Put(1), Client.Remote(() => TestJobs.Square(4)), 100);
        Assert.Equal(117, await Client.Remote(() => NestedRefJobs.FieldTotal(bag)).WithTimeout());
    }

    [Fact]
    public async Task Stored_inner_values_are_pulled_by_the_task_from_the_silo_that_holds_them()
    {
        var arrays = Enumerable.Range(1, 3).Select(i => Client.Put(Enumerable.Repeat(i, 50_000).ToArray())).ToArray();
        var before = Client.BytesFetched;
        Assert.Equal(6 * 50_000L, await Client.Remote(() => NestedRefJobs.SumArrays(arrays)).WithTimeout());
        Assert.Equal(before, Client.BytesFetched);
    }

    [Fact]
    public async Task A_ref_passed_where_the_method_takes_a_ref_arrives_as_a_ref()
    {
        var nine = Client.Remote(() => TestJobs.Square(3));
        Assert.Equal(9, await Client.Remote(() => NestedRefJobs.Unwrap(nine)).WithTimeout());
    }

    [Fact]
    public async Task Unfinished_refs_inside_a_value_are_filled_in_when_they_finish()
    {
        var slow = Client.Remote(() => TestJobs.Timed(1, 200));
        var pending = new List<ObjectRef<int>> { Client.Remote(() => TestJobs.SquareLater(3)), Client.Put(1) };
        var outer = Client.Put(pending);
        var sum = Client.Remote(() => NestedRefJobs.SumAll(pending));

        Assert.Equal(10, await sum.WithTimeout());
        var back = await outer.WithTimeout();
        Assert.Equal(9, await back[0].WithTimeout());
        Assert.Equal(10, await Client.Remote(() => NestedRefJobs.SumAll(outer)).WithTimeout());
        await slow.WithTimeout();
    }

    [Fact]
    public async Task A_failed_inner_ref_fails_where_it_is_read_not_the_call_that_carries_it()
    {
        var failing = Client.Remote(() => TestJobs.Fail("inner boom"));
        var list = new List<ObjectRef<int>> { Client.Put(1), failing };
        Assert.Equal(2, await Client.Remote(() => NestedRefJobs.Count(list)).WithTimeout());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Client.Remote(() => NestedRefJobs.SumAll(list)).GetAsync().AsTask()).WithTimeout();
        Assert.Contains("inner boom", error.ToString());
    }

    [Fact]
    public async Task A_task_returns_refs_it_put()
    {
        var squares = await Client.Remote(() => NestedRefJobs.PutSquares(10)).WithTimeout();
        Assert.Equal(10, squares.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * i), await Client.GetAllAsync(squares).WithTimeout());

        // Handed back to another task, they still resolve there.
        Assert.Equal(285, await Client.Remote(() => NestedRefJobs.SumAll(squares)).WithTimeout());
    }

    [Fact]
    public async Task A_task_returns_the_refs_it_was_given_and_they_are_the_callers_own()
    {
        var asInts = new List<ObjectRef<int>> { Client.Put(5), Client.Put(6) };
        var back = await Client.Remote(() => NestedRefJobs.Echo(asInts)).WithTimeout();
        Assert.Same(asInts[0].Entry, back[0].Entry);
        Assert.Same(asInts[1].Entry, back[1].Entry);
        Assert.Equal(11, await back[0].WithTimeout() + await back[1].WithTimeout());
    }

    [Fact]
    public async Task A_task_returns_large_objects_it_put_and_the_client_reads_them()
    {
        var arrays = await Client.Remote(() => NestedRefJobs.PutArrays(2, 40_000)).WithTimeout();
        Assert.All(arrays, a => Assert.NotNull(a.Entry.Location));
        Assert.Equal(40_000, (await arrays[1].WithTimeout()).Length);
        Assert.Equal(40_000L, await Client.Remote(() => NestedRefJobs.SumArrays(arrays)).WithTimeout());

        var nested = await Client.Remote(() => NestedRefJobs.PutNested(40_000)).WithTimeout();
        var inner = await nested.WithTimeout();
        Assert.Equal(7 * 40_000L, (await inner[0].WithTimeout()).Sum(v => (long)v));
    }

    [Fact]
    public async Task Actor_calls_take_and_return_refs_inside_values()
    {
        var actor = await Client.CreateActorAsync(() => new RefActor()).WithTimeout();
        var refs = new List<ObjectRef<int>> { Client.Put(2), Client.Remote(() => TestJobs.Square(5)) };
        Assert.Equal(28, await actor.Call(a => a.Sum(new int[1], refs)).WithTimeout());

        var array = await actor.Call(a => a.PutArray(50_000)).WithTimeout();
        Assert.NotNull(array.Entry.Location);
        Assert.Equal(50_000, (await array.WithTimeout()).Length);
        await actor.KillAsync().WithTimeout();
    }
}
