using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Webhooks.AspNetCore.Tests.Infrastructure;

/// <summary>Small helpers to send raw JSON and read JSON answers, so tests see exactly what goes over the wire.</summary>
public static class Http
{
    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string url, string? json, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        configure?.Invoke(request);
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.SendJsonAsync(HttpMethod.Post, url, JsonSerializer.Serialize(body, JsonSerializerOptions.Web));

    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, "the body was: {0}", text);
        return JsonNode.Parse(text)!;
    }

    /// <summary>Reads a 400 ValidationProblemDetails and returns its errors by field.</summary>
    public static async Task<Dictionary<string, string[]>> ValidationErrorsAsync(this HttpResponseMessage response)
    {
        var problem = await response.JsonAsync(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        problem["status"]!.GetValue<int>().Should().Be(400);
        return problem["errors"]!.AsObject().ToDictionary(e => e.Key, e => e.Value!.AsArray().Select(m => m!.GetValue<string>()).ToArray());
    }

    /// <summary>Reads a ProblemDetails with the given status.</summary>
    public static async Task<JsonNode> ProblemAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await response.JsonAsync(expected);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        problem["status"]!.GetValue<int>().Should().Be((int)expected);
        problem["title"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace();
        return problem;
    }

    /// <summary>Creates a subscription and returns its JSON (secret in full).</summary>
    public static async Task<JsonNode> CreateSubscriptionAsync(this HttpClient client, string name, string url, params string[] events)
    {
        var response = await client.PostJsonAsync("/webhooks", new { name, url, events = events.Length == 0 ? ["order.*"] : events });
        return await response.JsonAsync(HttpStatusCode.Created);
    }
}
