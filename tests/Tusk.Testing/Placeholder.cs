namespace Tusk.Testing; public static class Placeholder {}
