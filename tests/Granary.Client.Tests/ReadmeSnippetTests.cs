using Granary.Silo.Tests;
using ReadmeSnippets;

namespace Granary.Client.Tests;

/// <summary>
/// The README's C# snippets compile as written (each appears in ReadmeSnippets.cs, which this project
/// builds with warnings as errors) and the ones an embedded cluster without GPUs can run do what their
/// comments say.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadmeSnippetTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly GranaryClient _cluster = fixture.Client;

    public static TheoryData<int> Blocks => [.. Enumerable.Range(0, CSharpBlocks().Count)];

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Each_csharp_block_of_the_README_is_in_the_snippets_file(int index)
    {
        var (line, block) = CSharpBlocks()[index];
        // Grain classes live in the grains assembly: one in this assembly would keep it from being shipped as job code.
        // TorchSharp's snippets compile in the TorchSharp tests, which reference Granary.TorchSharp.
        var snippets = Lines(RepoFiles.Read("tests/Granary.Client.Tests/ReadmeSnippets.cs")).Concat(Lines(RepoFiles.Read("tests/Granary.TestGrains/ReadmeGrains.cs")))
            .Concat(Lines(RepoFiles.Read("tests/Granary.TorchSharp.Tests/ReadmeTorchSnippets.cs"))).ToArray();
        Assert.True(Contains(snippets, block), $"README.md line {line}: this block is not in ReadmeSnippets.cs (or ReadmeTorchSnippets.cs) as written:\n{string.Join('\n', block)}");
    }

    [Fact]
    public void The_README_has_csharp_blocks() => Assert.True(CSharpBlocks().Count > 10);

    [Fact]
    public Task Remote_functions_and_results() => Snippets.RemoteFunctionsAndResultsAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Wait() => Snippets.WaitAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Get_with_a_timeout() => Snippets.GetWithTimeoutAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Streaming() => Snippets.StreamingAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Multiple_returns() => Snippets.MultipleReturnsAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Put_and_refs_as_arguments() => Snippets.PutAndRefsAsArgumentsAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Refs_read_back_out_of_a_value_equal_the_originals() => Snippets.RefsInsideValuesAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Map_and_star_map() => Snippets.MapAndStarMapAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public async Task Enqueue_runs_in_submission_order()
    {
        var path = Path.Combine(Path.GetTempPath(), "granary-readme-" + Guid.NewGuid().ToString("N") + ".txt");
        try
        {
            await Snippets.EnqueueAsync(_cluster, path).WaitAsync(Bound);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public Task Actors() => Snippets.ActorsAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Actor_restarts() => Snippets.ActorRestartsAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Batch_inference_with_MapBatches() => Snippets.MapBatchesAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Errors() => Snippets.ErrorsAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Work_from_inside_the_cluster() => Snippets.WorkFromInsideAsync(_cluster).WaitAsync(Bound);

    [Fact]
    public Task Cancelling_tasks() => Snippets.CancellingAsync(_cluster, [1, 2, 3]).WaitAsync(Bound);

    /// <summary>Each ```csharp block with the README line it starts on, its lines without their common indent.</summary>
    private static List<(int Line, string[] Lines)> CSharpBlocks()
    {
        var readme = Lines(RepoFiles.Read("README.md"));
        var blocks = new List<(int, string[])>();
        for (var i = 0; i < readme.Length; i++)
        {
            if (readme[i].Trim() != "```csharp")
            {
                continue;
            }

            var end = Array.FindIndex(readme, i + 1, l => l.Trim() == "```");
            blocks.Add((i + 1, Dedent(readme[(i + 1)..end])));
            i = end;
        }

        return blocks;
    }

    /// <summary>True when <paramref name="block"/> appears in <paramref name="file"/> as consecutive lines, all under one indent.</summary>
    private static bool Contains(string[] file, string[] block)
    {
        for (var start = 0; start + block.Length <= file.Length; start++)
        {
            var indent = file[start].Length - file[start].TrimStart().Length;
            var prefix = file[start][..indent];
            var all = true;
            for (var j = 0; j < block.Length && all; j++)
            {
                var line = file[start + j];
                all = block[j].Length == 0 ? line.Trim().Length == 0 : line == prefix + block[j];
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }

    private static string[] Dedent(string[] lines)
    {
        var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return [.. lines.Select(l => l.Trim().Length == 0 ? string.Empty : l[indent..])];
    }

    private static string[] Lines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
}
