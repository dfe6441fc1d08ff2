using System.Text;
using System.Text.RegularExpressions;

namespace Webhooks.Scenarios.Tests;

/// <summary>
/// Every C# block in README.md and docs/*.md is a copy of a region of a real file under samples/ or
/// tests/, which the build compiles (and, mostly, a test runs). A block names its region on the line
/// before it, <c>&lt;!-- snippet: samples/Webhooks.Samples.Orders/Program.cs#telemetry --&gt;</c>, and the
/// file holds <c>#region telemetry</c> … <c>#endregion</c>. A block without a marker, a marker whose file
/// or region is missing, or a block that differs from its region fails here. Blocks in other languages
/// (bash, json, http) are not checked. Links to files of the repository, and to their headings, must resolve.
/// </summary>
public sealed partial class DocsSnippetTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void CSharpBlocks_EveryOne_IsARegionOfACompiledFile()
    {
        var problems = new List<string>();
        var blocks = 0;
        foreach (var doc in Documents())
        {
            var relative = Path.GetRelativePath(Root, doc).Replace('\\', '/');
            var found = Check(relative, File.ReadAllText(doc), ReadRepositoryFile);
            blocks += found.Blocks;
            problems.AddRange(found.Problems);
        }

        blocks.Should().BeGreaterThan(20, "README and docs/ hold C# blocks; finding none means the scan is broken");
        problems.Should().BeEmpty("each C# block must be a region of a real file (copy the region into the block, or the block into the region)");
    }

    [Fact]
    public void Links_ToRepositoryFilesAndHeadings_Resolve()
    {
        var problems = new List<string>();
        foreach (var doc in Documents())
        {
            var text = File.ReadAllText(doc);
            foreach (Match link in LinkPattern().Matches(StripCode(text)))
            {
                var target = link.Groups["target"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith('#') || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                var parts = target.Split('#', 2);
                var full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(doc)!, Uri.UnescapeDataString(parts[0])));
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    problems.Add($"{Path.GetRelativePath(Root, doc)}: link '{target}' points to nothing");
                }
                else if (parts.Length == 2 && full.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(full)).Contains(parts[1]))
                {
                    problems.Add($"{Path.GetRelativePath(Root, doc)}: link '{target}' names no heading of {Path.GetFileName(full)}");
                }
            }
        }

        problems.Should().BeEmpty();
    }

    /// <summary>The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens.</summary>
    private static HashSet<string> Anchors(string markdown) =>
        [.. HeadingPattern().Matches(StripCode(markdown)).Select(m => AnchorDrop().Replace(m.Groups["text"].Value.Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-'))];

    [Fact]
    public void Check_FlagsAMissingMarker_AMissingRegion_AndABlockThatDrifted()
    {
        const string source = """
            class C
            {
                #region greet
                void Greet() => Console.WriteLine("hello");
                #endregion
            }
            """;
        string? Read(string path) => path == "samples/A.cs" ? source : null;
        const string fence = "```";

        var ok = Check("ok.md", $"""
            <!-- snippet: samples/A.cs#greet -->
            {fence}csharp
            void Greet() => Console.WriteLine("hello");
            {fence}

            {fence}bash
            echo not checked
            {fence}
            """, Read);
        (ok.Blocks, ok.Problems.Length).Should().Be((1, 0), "a block equal to its region passes, and bash blocks are not checked");
        Check("unmarked.md", $"{fence}csharp\nvar x = 1;\n{fence}\n", Read).Problems.Should().ContainSingle().Which.Should().Contain("no snippet marker");
        Check("noregion.md", $"<!-- snippet: samples/A.cs#other -->\n{fence}csharp\nvar x = 1;\n{fence}\n", Read).Problems.Should().ContainSingle().Which.Should().Contain("no '#region other'");
        Check("nofile.md", $"<!-- snippet: samples/B.cs#greet -->\n{fence}csharp\nvar x = 1;\n{fence}\n", Read).Problems.Should().ContainSingle().Which.Should().Contain("does not exist");
        Check("drift.md", $"<!-- snippet: samples/A.cs#greet -->\n{fence}csharp\nvoid Greet() => Console.WriteLine(\"hi\");\n{fence}\n", Read)
            .Problems.Should().ContainSingle().Which.Should().Contain("differs from samples/A.cs#greet at line 1");
    }

    /// <summary>Checks one document's C# blocks against their regions; <paramref name="read"/> gives a repository file's text, or null.</summary>
    internal static (int Blocks, string[] Problems) Check(string document, string markdown, Func<string, string?> read)
    {
        var problems = new List<string>();
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var blocks = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var open = FencePattern().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            var indent = open.Groups["indent"].Value.Length;
            var fence = open.Groups["fence"].Value;
            var language = open.Groups["lang"].Value.Trim().ToLowerInvariant();
            var start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != fence; i++)
            {
                body.Add(lines[i].Length >= indent && lines[i][..indent].Trim().Length == 0 ? lines[i][indent..] : lines[i].TrimStart());
            }

            if (language is not ("csharp" or "cs" or "c#"))
            {
                continue;
            }

            blocks++;
            var where = $"{document}:{start + 1}";
            var marker = start > 0 ? MarkerPattern().Match(lines[start - 1]) : Match.Empty;
            if (!marker.Success)
            {
                problems.Add($"{where}: a C# block with no snippet marker (<!-- snippet: path#region --> on the line before it)");
                continue;
            }

            var path = marker.Groups["path"].Value;
            var name = marker.Groups["region"].Value;
            if (!path.StartsWith("samples/", StringComparison.Ordinal) && !path.StartsWith("tests/", StringComparison.Ordinal))
            {
                problems.Add($"{where}: snippet {path}#{name} must name a file under samples/ or tests/");
                continue;
            }

            if (read(path) is not { } source)
            {
                problems.Add($"{where}: snippet file {path} does not exist");
                continue;
            }

            if (Region(source, name) is not { } region)
            {
                problems.Add($"{where}: {path} has no '#region {name}' (with its #endregion)");
                continue;
            }

            var expected = Normalize(region);
            var actual = Normalize(body);
            var at = Enumerable.Range(0, Math.Max(expected.Count, actual.Count))
                .FirstOrDefault(n => n >= expected.Count || n >= actual.Count || expected[n] != actual[n], -1);
            if (at >= 0)
            {
                problems.Add($"{where}: the block differs from {path}#{name} at line {at + 1}:\n" +
                    $"  region: {(at < expected.Count ? expected[at] : "(ends)")}\n" +
                    $"  block:  {(at < actual.Count ? actual[at] : "(ends)")}");
            }
        }

        return (blocks, [.. problems]);
    }

    /// <summary>The lines between <c>#region name</c> and its <c>#endregion</c>, without nested region lines.</summary>
    private static List<string>? Region(string source, string name)
    {
        var lines = source.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var start = Array.FindIndex(lines, l => RegionPattern().Match(l) is { Success: true } m && m.Groups["name"].Value.Trim() == name);
        if (start < 0)
        {
            return null;
        }

        var result = new List<string>();
        var depth = 1;
        for (var i = start + 1; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (trimmed.StartsWith("#region", StringComparison.Ordinal))
            {
                depth++;
                continue;
            }

            if (trimmed.StartsWith("#endregion", StringComparison.Ordinal))
            {
                if (--depth == 0)
                {
                    return result;
                }

                continue;
            }

            result.Add(lines[i]);
        }

        return null;
    }

    /// <summary>Removes the common indentation, trailing spaces and blank lines at either end.</summary>
    private static List<string> Normalize(IEnumerable<string> lines)
    {
        var list = lines.Select(l => l.TrimEnd()).ToList();
        while (list.Count > 0 && list[0].Length == 0)
        {
            list.RemoveAt(0);
        }

        while (list.Count > 0 && list[^1].Length == 0)
        {
            list.RemoveAt(list.Count - 1);
        }

        var indent = list.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return [.. list.Select(l => l.Length >= indent ? l[indent..] : l)];
    }

    private static string StripCode(string markdown) => FencedBlockPattern().Replace(markdown, string.Empty);

    private static string? ReadRepositoryFile(string path)
    {
        var full = Path.GetFullPath(Path.Combine(Root, path));
        return full.StartsWith(Root, StringComparison.Ordinal) && File.Exists(full) ? File.ReadAllText(full, Encoding.UTF8) : null;
    }

    private static IEnumerable<string> Documents()
    {
        yield return Path.Combine(Root, "README.md");
        var docs = Path.Combine(Root, "docs");
        if (Directory.Exists(docs))
        {
            foreach (var page in Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                yield return page;
            }
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Webhooks.Core.sln")))
            {
                return dir.FullName + Path.DirectorySeparatorChar;
            }
        }

        throw new InvalidOperationException($"No Webhooks.Core.sln above {AppContext.BaseDirectory}: the docs test runs from the repository's build output.");
    }

    [GeneratedRegex(@"^(?<indent>[ ]*)(?<fence>```+)(?<lang>[^`]*)$")]
    private static partial Regex FencePattern();

    [GeneratedRegex(@"^\s*<!--\s*snippet:\s*(?<path>[^#\s]+)#(?<region>[\w.-]+)\s*-->\s*$")]
    private static partial Regex MarkerPattern();

    [GeneratedRegex(@"^\s*#region\s+(?<name>.+?)\s*$")]
    private static partial Regex RegionPattern();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"(?m)^#{1,6}[ ]+(?<text>.+?)[ ]*$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"[^\p{L}\p{N} _-]")]
    private static partial Regex AnchorDrop();

    [GeneratedRegex(@"(?ms)^[ ]*```.*?^[ ]*```[ ]*$")]
    private static partial Regex FencedBlockPattern();
}
