namespace Granary.Client.Tests;

/// <summary>A task's result is not bound to one message or one byte array: a primitive array over 2 GiB comes back whole, as a Put of one does.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LargeResultTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_task_can_return_a_primitive_array_over_2_GiB()
    {
        const int n = 540_000_000; // 2.16 GB of ints: past int.MaxValue bytes
        var big = fixture.Client.Remote(() => TestJobs.Ramp(n));
        var value = await big.GetAsync(TimeSpan.FromSeconds(150)).AsTask().WithTimeout(TimeSpan.FromSeconds(160));

        Assert.Equal(n, value.Length);
        Assert.Equal(0, value[0]);
        Assert.Equal(n / 2, value[n / 2]);
        Assert.Equal(n - 1, value[^1]);
    }
}
