{
  "targets": [
    {
      "target_name": "allocator",
      "sources": ["src/native/allocator.c"]
    }
  ]
}
