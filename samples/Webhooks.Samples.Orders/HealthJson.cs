using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Webhooks.Samples.Orders;

/// <summary>
/// Writes /healthz as JSON with each check's description and numbers, for example
/// <c>{"status":"Healthy","checks":{"webhooks":{"status":"Healthy","description":"0 webhook deliveries pending, none overdue.","data":{"pendingDeliveries":0,...}}}}</c>.
/// </summary>
public static class HealthJson
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description);
            json.WriteStartObject("data");
            foreach (var (key, value) in entry.Data)
            {
                switch (value)
                {
                    case long n: json.WriteNumber(key, n); break;
                    case int n: json.WriteNumber(key, n); break;
                    case double n: json.WriteNumber(key, n); break;
                    default: json.WriteString(key, value?.ToString()); break;
                }
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
