namespace Granary.Silo.Tests;

[Collection("console")]
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("start", "--bogus")]
    [InlineData("start")]
    [InlineData("start", "--head", "--address", "127.0.0.1:1")]
    [InlineData("start", "--head", "--port", "seventy")]
    [InlineData("start", "--head", "--redis", "127.0.0.1:6379,colour=blue")]
    [InlineData("start", "--head", "--redis", "127.0.0.1:notaport")]
    [InlineData("start", "--address", "127.0.0.1:1", "--redis", "127.0.0.1:6379")]
    [InlineData("start", "--address", "127.0.0.1:1", "--dashboard-port", "8265")]
    [InlineData("launch")]
    [InlineData("run")]
    [InlineData("run", "--bogus", "echo hi")]
    [InlineData("run", "--timeout", "0", "echo hi")]
    [InlineData("run", "--retries", "-1", "echo hi")]
    [InlineData("run", "--address", "nowhere", "echo hi")]
    [InlineData("start", "--head", "--host", "10.1.2.3")]
    [InlineData("connect")]
    [InlineData("connect", "--bogus")]
    [InlineData("connect", "lab", "--address", "nowhere")]
    [InlineData("connect", "lab", "--list")]
    [InlineData("connect", "a", "b")]
    [InlineData("submit")]
    [InlineData("submit", "--bogus", "--", "dotnet", "app.dll")]
    [InlineData("submit", "--cpus", "-1", "--", "dotnet", "app.dll")]
    [InlineData("submit", "--env", "NOEQUALS", "--", "dotnet", "app.dll")]
    [InlineData("submit", "--address", "127.0.0.1:1", "--", "dotnet", "/nowhere/app.dll")]
    [InlineData("submit", "--address", "127.0.0.1:1", "--", "python", "train.py")]
    [InlineData("job")]
    [InlineData("job", "frob")]
    [InlineData("job", "status")]
    [InlineData("job", "list", "--follow")]
    [InlineData("job", "logs", "a", "b")]
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
    public async Task An_unreachable_redis_stops_the_head_with_a_one_line_reason_naming_the_address()
    {
        var (code, error) = await RunAsync("start", "--head", "--port", "0", "--redis", "127.0.0.1:1");
        Assert.Equal(1, code);
        Assert.Equal("granary: Cannot reach Redis at 127.0.0.1:1: Connection refused. Start redis-server there or drop --redis.", error.Trim());
    }

    [Theory]
    [InlineData("127.0.0.1:6379")]
    [InlineData("redis.internal:6380,password=s3cret,user=granary,ssl=true")]
    public void Redis_takes_host_port_or_a_stackexchange_redis_configuration_string(string redis) =>
        Assert.Equal(redis, StartCommand.Parse(["--head", "--redis", redis]).RedisAddress);

    [Fact]
    public void A_non_loopback_host_needs_insecure_and_the_refusal_says_why_in_one_line()
    {
        var refused = Assert.Throws<ArgumentException>(() => StartCommand.Parse(["--head", "--host", "10.1.2.3"]));
        Assert.Contains("without TLS", refused.Message);
        Assert.Contains("--insecure", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.Throws<ArgumentException>(() => StartCommand.Parse(["--address", "127.0.0.1:6380", "--host", "0.0.0.0"]));

        Assert.Contains("--tls", refused.Message);
        Assert.Equal("10.1.2.3", StartCommand.Parse(["--head", "--host", "10.1.2.3", "--insecure"]).Host);
        Assert.Equal("/etc/granary/node", StartCommand.Parse(["--head", "--host", "10.1.2.3", "--tls", "/etc/granary/node"]).TlsDirectory);
        Assert.Equal("127.0.0.2", StartCommand.Parse(["--head", "--host", "127.0.0.2"]).Host);
        Assert.Equal("::1", StartCommand.Parse(["--head", "--host", "::1"]).Host);
    }

    [Fact]
    public void The_gpu_memory_margin_flag_sets_the_heads_margin_and_refuses_a_bad_one()
    {
        Assert.Equal(0.25, StartCommand.Parse(["--head", "--gpu-memory-margin", "0.25"]).GpuMemoryMargin);
        Assert.Equal(GranaryDefaults.GpuMemoryMargin, StartCommand.Parse(["--head"]).GpuMemoryMargin);
        Assert.Contains("between 0 and 10", Assert.Throws<ArgumentException>(() => StartCommand.Parse(["--head", "--gpu-memory-margin", "-1"])).Message);
    }

    [Fact]
    public void The_dashboard_port_is_the_heads_and_a_worker_refuses_it_naming_the_fix()
    {
        Assert.Equal(8265, StartCommand.Parse(["--head", "--dashboard-port", "8265"]).DashboardPort);
        Assert.Null(StartCommand.Parse(["--head"]).DashboardPort);
        var refused = Assert.Throws<ArgumentException>(() => StartCommand.Parse(["--address", "127.0.0.1:6380", "--dashboard-port", "8265"]));
        Assert.Contains("granary start --head --dashboard-port N", refused.Message);
        Assert.Contains("0-65535", Assert.Throws<ArgumentException>(() => StartCommand.Parse(["--head", "--dashboard-port", "70000"])).Message);

        // The same rule holds for a silo started in code, so an embedded worker cannot serve one either.
        var embedded = new Grains.GranarySiloOptions { HeadAddress = "127.0.0.1:6380", DashboardPort = 0 };
        Assert.Contains("belongs on the head", Assert.Throws<ArgumentException>(embedded.Validate).Message);
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

    [Theory]
    [InlineData("start", "--help")]
    [InlineData("start", "-h")]
    [InlineData("start", "--head", "--port", "6380", "--help")]
    [InlineData("status", "--help")]
    [InlineData("status", "-h")]
    [InlineData("stop", "--help")]
    [InlineData("stop", "-h")]
    [InlineData("help", "stop")]
    [InlineData("run", "--help")]
    [InlineData("run", "echo hi", "-h")]
    [InlineData("help", "run")]
    [InlineData("submit", "--help")]
    [InlineData("job", "--help")]
    [InlineData("job", "stop", "-h")]
    public async Task A_command_with_help_prints_its_usage_and_every_flag_and_exits_0(params string[] args)
    {
        var (code, output, error) = await RunWithOutputAsync(args);
        Assert.True(code == 0, $"exit {code}: {error}");
        Assert.Empty(error);
        var command = args[0] == "help" ? args[1] : args[0];
        Assert.StartsWith($"usage: granary {command} ", output);
        var lines = output.Split('\n');
        foreach (var flag in FlagsOf(command))
        {
            // One line per flag: the flag, its meaning, and its default where it has one.
            var line = Assert.Single(lines, l => l.StartsWith("  " + flag.Flag + " ", StringComparison.Ordinal));
            Assert.Contains(flag.Meaning, line);
            if (flag.Default.Length > 0)
            {
                Assert.Contains($"(default: {flag.Default})", line);
            }
        }
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Granary_help_lists_the_commands_and_exits_0(string flag)
    {
        var (code, output, error) = await RunWithOutputAsync(flag);
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.StartsWith("usage: granary <command>", output);
        Assert.All(new[] { "start", "status", "stop", "run" }, c => Assert.Contains($"  {c} ", output));
    }

    [Fact]
    public async Task No_command_prints_the_overview_on_stderr_and_exits_2()
    {
        var (code, output, error) = await RunWithOutputAsync();
        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.StartsWith("usage: granary <command>", error);
    }

    [Fact]
    public async Task Version_prints_the_informational_version_and_exits_0()
    {
        var (code, output, error) = await RunWithOutputAsync("--version");
        Assert.Equal(0, code);
        Assert.Empty(error);
        var version = typeof(GranaryCommand).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), inherit: false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal($"granary {version}", output.Trim());
        Assert.Matches(@"^granary \d+\.\d+\.\d+", output);
    }

    [Theory]
    [InlineData("start", "### `granary start`")]
    [InlineData("status", "### `granary status`")]
    [InlineData("stop", "### `granary stop`")]
    [InlineData("run", "### `granary run`")]
    [InlineData("connect", "### `granary connect`")]
    [InlineData("cert", "### `granary cert`")]
    [InlineData("submit", "### `granary submit`")]
    [InlineData("job", "### `granary job`")]
    public void The_help_lists_the_flags_and_defaults_of_the_README_table(string command, string heading)
    {
        var table = RepoFiles.TableAfter(RepoFiles.Read("README.md"), heading);
        Assert.Equal(table.Select(row => row[0]), FlagsOf(command).Select(f => f.Flag));
        Assert.Equal(table.Select(row => row[^1]), FlagsOf(command).Select(f => f.Default));
    }

    [Theory]
    [InlineData("start")]
    [InlineData("status")]
    [InlineData("stop")]
    [InlineData("run")]
    [InlineData("connect")]
    [InlineData("cert")]
    [InlineData("submit")]
    [InlineData("job")]
    public void Every_flag_in_the_help_is_one_the_command_takes(string command)
    {
        foreach (var flag in FlagsOf(command))
        {
            // The placeholder stands in for the value: a bad one may be refused, an unknown flag may not.
            string[] args = [.. flag.Flag.Split(' ')];
            Action parse = command switch
            {
                "start" => () => StartCommand.Parse(["--head", .. args]),
                "status" => () => StatusCommand.Parse(args),
                "run" => () => RunCommand.Parse([.. args, "echo hi"]),
                "connect" => () => ConnectCommand.Parse(["lab", .. args]),
                "cert" => () => CertCommand.Parse(["issue", .. args]),
                "submit" => () => SubmitCommand.Parse([.. args, "--", "dotnet", "app.dll"]),
                "job" => () => JobCommand.Parse([args[0] == "--follow" ? "logs" : "status", "sub-1", .. args]),
                _ => () => StopCommand.Parse(args),
            };
            var error = Record.Exception(parse);
            Assert.True(error is null || !error.Message.Contains("unknown flag", StringComparison.Ordinal), $"{command} {flag.Flag}: {error?.Message}");
        }
    }

    [Fact]
    public void Run_files_group_into_clusters_by_head_address()
    {
        (string, RunRecord) Silo(int pid, bool head, string address, string? cluster) =>
            ($"silo-{pid}.json", new RunRecord(pid, "n" + pid, address, head, DateTimeOffset.UnixEpoch, cluster));
        var clusters = RunCluster.Of(
        [
            Silo(1, head: true, "127.0.0.1:6380", "127.0.0.1:6380"),
            Silo(2, head: false, "127.0.0.1:40001", "localhost:6380"),
            Silo(3, head: false, "127.0.0.1:40002", "127.0.0.1:6380"),
            Silo(4, head: true, "127.0.0.1:6390", "127.0.0.1:6390"),
            Silo(5, head: false, "127.0.0.1:40003", "10.0.0.7:6380"),
            Silo(6, head: true, "127.0.0.1:6400", null),
            Silo(7, head: false, "127.0.0.1:40004", null),
        ]);

        Assert.Equal(
            ["(unknown head) (1 worker)", "10.0.0.7:6380 (1 worker)", "127.0.0.1:6380 (head and 2 workers)", "127.0.0.1:6390 (head)", "127.0.0.1:6400 (head)"],
            clusters.Select(c => c.ToString()));
        var local = clusters.Single(c => c.Head == "127.0.0.1:6380");
        Assert.True(local.Matches("localhost:6380"));
        Assert.True(local.Matches("[::1]:6380"));
        Assert.False(local.Matches("127.0.0.1:6390"));
        Assert.Contains("choose", RunCluster.Ambiguous(clusters, "choose").Message);
    }

    [Fact]
    public void Stop_takes_either_an_address_or_all()
    {
        var (address, all, _, _) = StopCommand.Parse(["--address", "127.0.0.1:6380"]);
        Assert.Equal("127.0.0.1:6380", address);
        Assert.False(all);
        Assert.True(StopCommand.Parse(["--all"]).All);
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() => StopCommand.Parse(["--all", "--address", "127.0.0.1:6380"])).Message);
        Assert.Throws<FormatException>(() => StopCommand.Parse(["--address", "nowhere"]));
    }

    private static IReadOnlyList<FlagHelp> FlagsOf(string command) => command switch
    {
        "start" => StartCommand.Flags,
        "status" => StatusCommand.Flags,
        "stop" => StopCommand.Flags,
        "run" => RunCommand.Flags,
        "connect" => ConnectCommand.Flags,
        "cert" => CertCommand.Flags,
        "submit" => SubmitCommand.Flags,
        "job" => JobCommand.Flags,
        _ => throw new ArgumentException(command),
    };

    private static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        var (code, _, error) = await RunWithOutputAsync(args);
        return (code, error);
    }

    private static async Task<(int Code, string Output, string Error)> RunWithOutputAsync(params string[] args)
    {
        var (originalOut, originalError) = (Console.Out, Console.Error);
        var (output, error) = (new StringWriter(), new StringWriter());
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = await GranaryCommand.RunAsync(args).WithTimeout();
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
