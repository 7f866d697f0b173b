namespace Granary.Silo.Tests;

[Collection("console")]
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("start", "--bogus")]
    [InlineData("start")]
    [InlineData("start", "--head", "--address", "127.0.0.1:1")]
    [InlineData("start", "--head", "--port", "seventy")]
    [InlineData("launch")]
    public async Task Bad_flags_exit_non_zero_with_a_one_line_reason(params string[] args)
    {
        var (code, error) = await RunAsync(args);
        Assert.NotEqual(0, code);
        Assert.StartsWith("granary: ", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task An_unreachable_head_exits_non_zero_with_a_one_line_reason()
    {
        var (code, error) = await RunAsync("start", "--address", "127.0.0.1:1", "--port", "0");
        Assert.Equal(1, code);
        Assert.Contains("granary: ", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void Object_store_flags_set_the_capacity_and_the_spill_directory()
    {
        var options = StartCommand.Parse(["--address", "127.0.0.1:6380", "--object-store-memory", "2GB", "--spill-dir", "/tmp/granary-spill"]);
        Assert.Equal(2L << 30, options.ObjectStoreCapacityBytes);
        Assert.Equal("/tmp/granary-spill", options.SpillDirectory);
        Assert.Contains("GB", Assert.Throws<FormatException>(() => StartCommand.Parse(["--address", "127.0.0.1:6380", "--object-store-memory", "lots"])).Message);
    }

    [Theory]
    [InlineData("512MB", 512L << 20)]
    [InlineData("32GB", 32L << 30)]
    [InlineData("80GiB", 80L << 30)]
    [InlineData("1024", 1024L)]
    public void Sizes_parse(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text));

    [Fact]
    public void A_bad_size_names_the_accepted_units() =>
        Assert.Contains("GB", Assert.Throws<FormatException>(() => ByteSize.Parse("12parsecs")).Message);

    private static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        var original = Console.Error;
        var capture = new StringWriter();
        Console.SetError(capture);
        try
        {
            var code = await GranaryCommand.RunAsync(args).WithTimeout();
            return (code, capture.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }
}
