namespace Granary.Client.Tests;

public sealed class SerializationTests
{
    [Fact]
    public async Task Raw_arrays_and_custom_serializers_round_trip_through_the_cluster()
    {
        var options = new LocalClusterOptions { Silos = 1 };
        options.Client.Serializers.Add(new WordSerializer());
        var client = await LocalCluster.StartAsync(options).WithTimeout();
        await using var stopClient = client.DisposeWithin();

        var bytes = await client.Remote(() => TestJobs.Bytes(300)).WithTimeout();
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (byte)i), bytes);
        Assert.Equal(1000, await client.Remote(() => TestJobs.Length(new byte[1000])).WithTimeout());
        Assert.Equal(6.0, await client.Remote(() => TestJobs.SumDoubles(new[] { 1.0, 2.0, 3.0 })).WithTimeout());

        var word = new Word("granary");
        Assert.Equal("GRANARY", await client.Remote(() => TestJobs.Shout(word)).WithTimeout());
        Assert.Equal("granary!", (await client.Remote(() => TestJobs.Echo(word)).WithTimeout()).Text());

        // Raw arrays returned through an interface or object still decode.
        Assert.Equal(new[] { 0.0, 1.0, 2.0 }, await client.Remote(() => TestJobs.Doubles(3)).WithTimeout());
        Assert.Equal(new[] { 1L, 2L }, await client.Remote(() => TestJobs.Boxed()).WithTimeout());
        await client.Remote(() => TestJobs.Pause()).WithTimeout();
    }
}
