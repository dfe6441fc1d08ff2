using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Webhooks.AspNetCore.Tests.Receiving;

/// <summary>Signs requests the way a Standard Webhooks sender does, computed here independently of the library.</summary>
internal static class SignedRequests
{
    public static string StandardSignature(string secret, string id, long timestamp, byte[] body)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        byte[] content = [.. Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. body];
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    public static string HexSignature(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static HttpRequestMessage Create(string url, string secret, string body, string? id = null, DateTimeOffset? at = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        id ??= "msg_" + Guid.NewGuid().ToString("N");
        var ts = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("webhook-id", id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", StandardSignature(secret, id, ts, bytes));
        return request;
    }
}

/// <summary>A real app on Kestrel (127.0.0.1, random port) whose endpoints require webhook signatures; records what handlers saw.</summary>
internal sealed class SignedReceiverApp : IAsyncDisposable
{
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    public IServiceProvider Services => _app!.Services;

    /// <summary>What each handler call saw, in order.</summary>
    public ConcurrentQueue<string> Handled { get; } = new();

    public HttpClient Client { get; } = new();

    public string Url(string path) => BaseUrl + path;

    public static async Task<SignedReceiverApp> StartAsync(Action<WebApplication, SignedReceiverApp> map, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        services?.Invoke(builder.Services);
        var receiver = new SignedReceiverApp();
        receiver._app = builder.Build();
        map(receiver._app, receiver);
        await receiver._app.StartAsync();
        receiver.BaseUrl = receiver._app.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
        return receiver;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            return await Client.SendAsync(request);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
