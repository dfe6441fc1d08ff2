using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Webhooks.AspNetCore.Portal.Tests.Infrastructure;

/// <summary>
/// An HTTP client that behaves as the portal page does, without a browser: it opens an access link
/// (token from the fragment, exchanged with a JSON POST), keeps the cookies it is given, and sends the
/// anti-forgery token the session hands out.
/// </summary>
public sealed class PortalClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly CookieJar _jar = new() { InnerHandler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false } };

    public PortalClient(PortalHost host) => _http = new HttpClient(_jar) { BaseAddress = new Uri(host.BaseUrl) };

    /// <summary>The cookies held, as a Cookie header (the session cookie is Secure, which CookieContainer would not send over http; browsers do for 127.0.0.1).</summary>
    public string CookieHeader => _jar.Header;

    public HttpClient Http => _http;

    public string? AntiforgeryHeader { get; private set; }

    public string? AntiforgeryToken { get; private set; }

    public static string TokenOf(string link) => link[(link.IndexOf("#token=", StringComparison.Ordinal) + "#token=".Length)..];

    /// <summary>Opens a link: POSTs its token; returns the answer (Set-Cookie on success).</summary>
    public Task<HttpResponseMessage> OpenAsync(string link) =>
        _http.PostAsJsonAsync("/webhooks/portal/access", new { token = TokenOf(link) });

    /// <summary>Reads the session description and keeps its anti-forgery token.</summary>
    public async Task<JsonElement> SessionAsync()
    {
        var response = await _http.GetAsync("/webhooks/portal/session");
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        AntiforgeryHeader = json.GetProperty("antiforgery").GetProperty("headerName").GetString();
        AntiforgeryToken = json.GetProperty("antiforgery").GetProperty("token").GetString();
        return json;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, bool antiforgery = true)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (antiforgery && AntiforgeryToken is not null)
        {
            request.Headers.Add(AntiforgeryHeader!, AntiforgeryToken);
        }

        return _http.SendAsync(request);
    }

    public static async Task<string?> CodeAsync(HttpResponseMessage response)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return json.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Keeps every cookie set (name and value; an expired or emptied one is dropped) and sends them all back.</summary>
    private sealed class CookieJar : DelegatingHandler
    {
        private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

        public string Header
        {
            get
            {
                lock (_cookies)
                {
                    return string.Join("; ", _cookies.Select(c => c.Key + "=" + c.Value));
                }
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!request.Headers.Contains("Cookie") && Header.Length > 0)
            {
                request.Headers.Add("Cookie", Header);
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var values))
            {
                lock (_cookies)
                {
                    foreach (var value in values)
                    {
                        var pair = value.Split(';')[0];
                        var name = pair[..pair.IndexOf('=', StringComparison.Ordinal)];
                        var content = pair[(name.Length + 1)..];
                        if (content.Length == 0 || value.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                        {
                            _cookies.Remove(name);
                        }
                        else
                        {
                            _cookies[name] = content;
                        }
                    }
                }
            }

            return response;
        }
    }
}
