namespace Tusk.Storage; internal static class Placeholder {}
