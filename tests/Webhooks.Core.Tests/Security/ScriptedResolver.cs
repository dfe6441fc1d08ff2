using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Security;

namespace Webhooks.Core.Tests.Security;

/// <summary>
/// A DNS stand-in (the machine has no DNS): each name answers from a script, one answer per lookup
/// and the last one repeated, so a test can play a rebinding attacker's DNS server. Unknown names
/// fail like NXDOMAIN.
/// </summary>
internal sealed class ScriptedResolver : IWebhookHostResolver
{
    private readonly ConcurrentDictionary<string, (string[][] Answers, int Next)> _script = new(StringComparer.OrdinalIgnoreCase);

    public ConcurrentQueue<string> Lookups { get; } = new();

    public ScriptedResolver Answer(string host, params string[][] answers)
    {
        _script[host] = (answers, 0);
        return this;
    }

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        Lookups.Enqueue(host);
        while (true)
        {
            if (!_script.TryGetValue(host, out var entry))
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }

            var answer = entry.Answers[Math.Min(entry.Next, entry.Answers.Length - 1)];
            if (_script.TryUpdate(host, (entry.Answers, entry.Next + 1), entry))
            {
                return Task.FromResult(answer.Select(IPAddress.Parse).ToArray());
            }
        }
    }

    public void Register(IServiceCollection services) => services.AddSingleton<IWebhookHostResolver>(this);
}
