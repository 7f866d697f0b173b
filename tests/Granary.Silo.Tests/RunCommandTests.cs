namespace Granary.Silo.Tests;

/// <summary>`granary run`'s flags, its summary lines, and how it finds Granary.Client's side of it.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public void Commands_keep_their_order_and_a_command_that_looks_like_a_flag_goes_after_dashdash()
    {
        var request = RunCommand.Parse(["--timeout", "2.5", "python train.py", "--retries", "0", "--cpus", "1", "echo a", "--", "--version", "echo b"]);
        Assert.Equal(["python train.py", "echo a", "--version", "echo b"], request.Commands);
        Assert.Equal(2.5, request.TimeoutSeconds);
        Assert.Equal(0, request.Retries);
        Assert.Equal(1, request.Cpus);
        Assert.Null(request.Address);

        var defaults = RunCommand.Parse(["echo a"]);
        Assert.Equal(0, defaults.TimeoutSeconds);
        Assert.Equal(3, defaults.Retries);
        Assert.Equal(0, defaults.Cpus);
        Assert.Contains("at least one command", Assert.Throws<ArgumentException>(() => RunCommand.Parse(["--timeout", "3"])).Message);
        Assert.Contains("non-empty", Assert.Throws<ArgumentException>(() => RunCommand.Parse(["echo a", " "])).Message);
    }

    [Fact]
    public void The_summary_gives_each_commands_exit_code_node_and_gpu_on_one_line()
    {
        Assert.Equal("granary run: [1] exit 0 on w1 GPU 3: echo hello", new RunOutcome(0, "echo hello", new ShellCommandResult(0, "w1", 3, TimedOut: false), Error: null).Summary());
        Assert.Equal("granary run: [2] exit 124 (timed out) on w1 GPU 0: sleep 60", new RunOutcome(1, "sleep 60", new ShellCommandResult(124, "w1", 0, TimedOut: true), null).Summary());
        Assert.Equal("granary run: [3] exit 2 on w2 no GPU: a b", new RunOutcome(2, "a\nb", new ShellCommandResult(2, "w2", -1, TimedOut: false), null).Summary());

        var failed = new RunOutcome(0, "train", Result: null, "GpuOutOfMemoryException: full");
        Assert.Equal("granary run: [1] failed: GpuOutOfMemoryException: full: train", failed.Summary());
        Assert.Equal(1, failed.ExitCode);

        Assert.Equal("echo hello", RunOutcome.Label("echo hello"));
        Assert.Equal(40, RunOutcome.Label(new string('x', 100)).Length);
    }

    [Fact]
    public void Granary_Client_holds_the_connector_granary_run_loads_by_name()
    {
        var connector = CommandLineClients.Load();
        Assert.Equal(CommandLineClients.ConnectorTypeName, connector.GetType().FullName);
        Assert.Equal("Granary.Client", connector.GetType().Assembly.GetName().Name);
    }
}
