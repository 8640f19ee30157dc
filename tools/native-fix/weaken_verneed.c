/* Marks one version requirement of an ELF64 shared library as weak (VER_FLG_WEAK in vna_flags of
   .gnu.version_r), so the dynamic loader no longer refuses to load the library when the system
   lacks that version. Usage: weaken_verneed FILE VERSION_NAME. Exit 0 when the flag is set (or was
   already set), 1 when the version is not required by FILE, 2 on any error. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_file(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)*size);
    if (data && fread(data, 1, (size_t)*size, f) != (size_t)*size) { free(data); data = NULL; }
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s FILE VERSION_NAME\n", argv[0]); return 2; }
    long size = 0;
    unsigned char *data = read_file(argv[1], &size);
    if (!data || size < (long)sizeof(Elf64_Ehdr) || memcmp(data, ELFMAG, SELFMAG) != 0
        || data[EI_CLASS] != ELFCLASS64) {
        fprintf(stderr, "%s: not a readable ELF64 file\n", argv[1]);
        return 2;
    }
    Elf64_Ehdr *eh = (Elf64_Ehdr *)data;
    Elf64_Shdr *sh = (Elf64_Shdr *)(data + eh->e_shoff);
    Elf64_Shdr *verneed = NULL;
    for (int i = 0; i < eh->e_shnum; i++)
        if (sh[i].sh_type == SHT_GNU_verneed) verneed = &sh[i];
    if (!verneed) { fprintf(stderr, "%s: no .gnu.version_r section\n", argv[1]); return 1; }
    const char *strtab = (const char *)(data + sh[verneed->sh_link].sh_offset);

    int found = 0;
    Elf64_Off off = verneed->sh_offset;
    for (unsigned n = 0; n < verneed->sh_info; n++) {
        Elf64_Verneed *vn = (Elf64_Verneed *)(data + off);
        Elf64_Off aux_off = off + vn->vn_aux;
        for (unsigned a = 0; a < vn->vn_cnt; a++) {
            Elf64_Vernaux *aux = (Elf64_Vernaux *)(data + aux_off);
            if (strcmp(strtab + aux->vna_name, argv[2]) == 0) {
                aux->vna_flags |= VER_FLG_WEAK;
                found = 1;
            }
            aux_off += aux->vna_next;
        }
        off += vn->vn_next;
    }
    if (!found) { fprintf(stderr, "%s: does not require %s\n", argv[1], argv[2]); free(data); return 1; }

    FILE *f = fopen(argv[1], "r+b");
    if (!f || fwrite(data, 1, (size_t)size, f) != (size_t)size || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write\n", argv[1]);
        return 2;
    }
    free(data);
    return 0;
}
