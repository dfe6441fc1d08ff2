using System.Diagnostics;
using System.Text.Json;

namespace Webhooks.Core.Tests.Infrastructure;

/// <summary>Runs tests/verifiers/verify.mjs: the npm Standard Webhooks and Svix libraries verify a captured delivery.</summary>
public static class NodeVerifiers
{
    public static async Task<(string StandardWebhooks, string Svix)> VerifyAsync(string secret, ReceivedRequest request, byte[]? bodyOverride = null)
    {
        var dir = Path.Combine(RepoRoot(), "tests", "verifiers");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "svix")) || !Directory.Exists(Path.Combine(dir, "node_modules", "standardwebhooks")))
        {
            throw new InvalidOperationException($"The npm verifier libraries are not installed in {dir}. Run `bash scripts/test.sh` (it runs `npm ci` there) or `cd tests/verifiers && npm ci`.");
        }

        var input = JsonSerializer.Serialize(new
        {
            secret,
            headers = new Dictionary<string, string?>
            {
                ["webhook-id"] = request.Header("webhook-id"),
                ["webhook-timestamp"] = request.Header("webhook-timestamp"),
                ["webhook-signature"] = request.Header("webhook-signature"),
            },
            body = Convert.ToBase64String(bodyOverride ?? request.Body),
        });
        var psi = new ProcessStartInfo("node", "verify.mjs")
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"node verify.mjs exited {process.ExitCode}: {error}");
        }

        using var doc = JsonDocument.Parse(output);
        return (doc.RootElement.GetProperty("standardwebhooks").GetString()!, doc.RootElement.GetProperty("svix").GetString()!);
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Webhooks.Core.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Webhooks.Core.sln not found above " + AppContext.BaseDirectory);
    }
}
